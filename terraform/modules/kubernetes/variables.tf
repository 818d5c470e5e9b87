variable "name" {
  description = "Name prefix of the cell's resources."
  type        = string
}

variable "vswitch_ids" {
  description = "vSwitches (one per zone) for the control plane endpoints and the nodes."
  type        = list(string)
}

variable "kubernetes_version" {
  description = "Kubernetes version of the cluster, as ACK offers it (e.g. 1.32.1-aliyun.1)."
  type        = string
  default     = "1.32.1-aliyun.1"
}

variable "pod_cidr" {
  description = "Address range of pods (flannel); must not overlap the VPC."
  type        = string
  default     = "172.20.0.0/16"
}

variable "service_cidr" {
  description = "Address range of Kubernetes services; must not overlap the VPC or pods."
  type        = string
  default     = "172.21.0.0/20"
}

variable "node_instance_types" {
  description = "ECS instance types of the worker nodes, first available wins (e.g. ecs.g7.xlarge: 4 vCPU, 16 GiB)."
  type        = list(string)
}

variable "node_count_min" {
  description = "Fewest worker nodes (spread over the zones)."
  type        = number
}

variable "node_count_max" {
  description = "Most worker nodes the cluster autoscaler may add."
  type        = number
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}

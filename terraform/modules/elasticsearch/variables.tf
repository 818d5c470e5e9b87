variable "name" {
  description = "Name prefix of the cell's resources."
  type        = string
}

variable "vswitch_ids" {
  description = "vSwitches of the cell; the cluster spreads over two zones."
  type        = list(string)
}

variable "allowed_cidr" {
  description = "Address range allowed to connect (the cell's VPC)."
  type        = string
}

variable "engine_version" {
  description = "Elasticsearch version as the service names it (8.x: the app's client is 8; mappings use only core analyzers)."
  type        = string
  default     = "8.15.1_with_X-Pack"
}

variable "data_node_count" {
  description = "Data nodes (an even number: zone_count is 2)."
  type        = number
}

variable "data_node_spec" {
  description = "Data node class (e.g. elasticsearch.sn2ne.large: 2 vCPU, 8 GiB)."
  type        = string
}

variable "data_node_disk_gb" {
  description = "Disk per data node in GB (ESSD)."
  type        = number
}

variable "master_node_spec" {
  description = "Dedicated master node class (three are created)."
  type        = string
  default     = "elasticsearch.sn2ne.large"
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}

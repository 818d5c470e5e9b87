variable "name" {
  description = "Name prefix of the cell's resources."
  type        = string
}

variable "zones" {
  description = "Two zones: master in the first, replica in the second."
  type        = list(string)
}

variable "vswitch_ids" {
  description = "vSwitches of the cell; the first one's zone hosts the master."
  type        = list(string)
}

variable "allowed_cidr" {
  description = "Address range allowed to connect (the cell's VPC)."
  type        = string
}

variable "instance_class" {
  description = "Redis instance class (e.g. redis.master.small.default: 1 GB; redis.master.mid.default: 2 GB)."
  type        = string
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}

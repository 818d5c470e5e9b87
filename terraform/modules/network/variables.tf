variable "name" {
  description = "Name prefix of every resource of the cell, e.g. yimen-yunxi."
  type        = string
}

variable "cidr_block" {
  description = "Address range of the cell's VPC; a /16 leaves room for a vSwitch per zone."
  type        = string
  default     = "10.20.0.0/16"
}

variable "zones" {
  description = "Availability zones of the region to spread the cell over (at least two)."
  type        = list(string)

  validation {
    condition     = length(var.zones) >= 2
    error_message = "Give at least two zones: the cell must survive the loss of one."
  }
}

variable "tags" {
  description = "Tags put on every resource (owner, cost centre)."
  type        = map(string)
  default     = {}
}

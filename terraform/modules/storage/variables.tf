variable "name" {
  description = "Name prefix of the cell's resources (bucket names must be unique in the region)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted file's old version is kept."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}

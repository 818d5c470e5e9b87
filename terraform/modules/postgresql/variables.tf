variable "name" {
  description = "Name prefix of the cell's resources."
  type        = string
}

variable "zones" {
  description = "Two zones: the primary in the first, the standby in the second."
  type        = list(string)
}

variable "vswitch_ids" {
  description = "vSwitches of those zones, same order."
  type        = list(string)
}

variable "allowed_cidr" {
  description = "Address range allowed to connect (the cell's VPC)."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL major version offered by RDS (the app's pg_dump is 18 and dumps any older server)."
  type        = string
  default     = "17.0"
}

variable "instance_class" {
  description = "RDS instance class: CPU and memory (e.g. pg.n4.2c.2m for a county, pg.n4.8c.2m for a prefecture)."
  type        = string
}

variable "storage_gb" {
  description = "Storage in GB (ESSD)."
  type        = number
}

variable "max_connections" {
  description = "max_connections of the server: web and worker pods times their pool, plus the migration job."
  type        = number
  default     = 400
}

variable "backup_retention_days" {
  description = "Days of automatic backups and logs kept (point-in-time recovery window)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}

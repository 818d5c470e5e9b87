variable "cell" {
  description = "Short name of the cell (a county or prefecture network), used in every resource name, e.g. yunxi."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.cell))
    error_message = "Lower-case letters, digits and hyphens, 2 to 21 characters."
  }
}

variable "cell_size" {
  description = "Size preset: county (about 150 points) or prefecture (about 1,500 points)."
  type        = string
  default     = "county"

  validation {
    condition     = contains(["county", "prefecture"], var.cell_size)
    error_message = "cell_size is county or prefecture."
  }
}

variable "size_overrides" {
  description = "Values that replace the preset's, e.g. { postgres_storage_gb = 500 }; keys as in locals.presets of main.tf."
  type        = map(any)
  default     = {}
}

variable "region" {
  description = "Alibaba Cloud region of the cell, e.g. cn-hangzhou (or the government cloud's region)."
  type        = string
}

variable "zones" {
  description = "Two or more zones of the region, e.g. [\"cn-hangzhou-i\", \"cn-hangzhou-j\"]."
  type        = list(string)
}

variable "image" {
  description = "The Yimen image with its tag, in a registry the cluster can pull from."
  type        = string
}

variable "dns_zone" {
  description = "DNS zone hosted in Alibaba Cloud DNS, e.g. yunxi.gov.cn."
  type        = string
}

variable "dns_subdomain" {
  description = "Base domain's name inside the zone, e.g. zwfw: points answer at <slug>.zwfw.yunxi.gov.cn."
  type        = string
}

variable "tls_certificate_pem" {
  description = "Wildcard certificate chain (PEM) for the base domain; set TF_VAR_tls_certificate_pem in the environment."
  type        = string
  sensitive   = true
}

variable "tls_private_key_pem" {
  description = "Its private key (PEM); set TF_VAR_tls_private_key_pem in the environment."
  type        = string
  sensitive   = true
}

variable "sentry_dsn" {
  description = "Error reporting DSN (a Sentry-protocol server); empty for none."
  type        = string
  sensitive   = true
  default     = ""
}

variable "tags" {
  description = "Extra tags on every resource (owner, cost centre, 项目编号)."
  type        = map(string)
  default     = {}
}

variable "namespace" {
  description = "Kubernetes namespace of the cell's app."
  type        = string
  default     = "yimen"
}

variable "image" {
  description = "The Yimen image (infra/container/Dockerfile) with its version tag or digest, from the cell's registry."
  type        = string

  validation {
    condition     = can(regex("(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$", var.image)) && !endswith(var.image, ":latest")
    error_message = "Give the image with a version tag (not latest) or a sha256 digest."
  }
}

variable "base_domain" {
  description = "BASE_DOMAIN: the network directory; every point answers at <slug>.<base_domain>."
  type        = string
}

variable "database_url" {
  description = "DATABASE_URL (from the postgresql module)."
  type        = string
  sensitive   = true
}

variable "broker_url" {
  description = "CELERY_BROKER_URL, also the result backend (from the redis module)."
  type        = string
  sensitive   = true
}

variable "cache_url" {
  description = "CACHE_URL (from the redis module)."
  type        = string
  sensitive   = true
}

variable "elasticsearch_url" {
  description = "ELASTICSEARCH_URL (from the elasticsearch module)."
  type        = string
  sensitive   = true
}

variable "sentry_dsn" {
  description = "SENTRY_DSN for error reporting; empty for none."
  type        = string
  sensitive   = true
  default     = ""
}

variable "tls_certificate_pem" {
  description = "Wildcard certificate chain (PEM) for base_domain and *.base_domain; pass as TF_VAR_tls_certificate_pem."
  type        = string
  sensitive   = true
}

variable "tls_private_key_pem" {
  description = "Private key (PEM) of that certificate; pass as TF_VAR_tls_private_key_pem, never in a file of the repo."
  type        = string
  sensitive   = true
}

variable "oss_bucket" {
  description = "Bucket of the points' uploads (from the storage module)."
  type        = string
}

variable "oss_endpoint" {
  description = "Intranet OSS endpoint of the bucket (from the storage module)."
  type        = string
}

variable "oss_access_key_id" {
  description = "Access key of the bucket's RAM user (from the storage module)."
  type        = string
  sensitive   = true
}

variable "oss_access_key_secret" {
  description = "Secret of that access key (from the storage module)."
  type        = string
  sensitive   = true
}

variable "log_level" {
  description = "Log level of every process (logs are JSON lines)."
  type        = string
  default     = "INFO"
}

variable "web_replicas_min" {
  description = "Fewest web pods (the autoscaler adds more under CPU load)."
  type        = number
}

variable "web_replicas_max" {
  description = "Most web pods."
  type        = number
}

variable "worker_replicas_min" {
  description = "Fewest Celery worker pods."
  type        = number
}

variable "worker_replicas_max" {
  description = "Most Celery worker pods."
  type        = number
}

variable "resources" {
  description = "CPU and memory requests and limits per process (web, worker, beat)."
  type = object({
    web    = object({ cpu_request = string, memory_request = string, cpu_limit = string, memory_limit = string })
    worker = object({ cpu_request = string, memory_request = string, cpu_limit = string, memory_limit = string })
    beat   = object({ cpu_request = string, memory_request = string, cpu_limit = string, memory_limit = string })
  })
  default = {
    web    = { cpu_request = "250m", memory_request = "512Mi", cpu_limit = "1", memory_limit = "1Gi" }
    worker = { cpu_request = "250m", memory_request = "512Mi", cpu_limit = "1", memory_limit = "1Gi" }
    beat   = { cpu_request = "50m", memory_request = "192Mi", cpu_limit = "500m", memory_limit = "384Mi" }
  }
}

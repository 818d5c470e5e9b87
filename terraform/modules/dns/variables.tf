variable "zone" {
  description = "DNS zone managed in Alibaba Cloud DNS, e.g. yunxi.gov.cn."
  type        = string
}

variable "subdomain" {
  description = "Name of the base domain inside the zone, e.g. zwfw for zwfw.yunxi.gov.cn."
  type        = string
}

variable "ingress_ip" {
  description = "Public address of the ingress load balancer."
  type        = string
}

variable "ttl" {
  description = "TTL of the records in seconds."
  type        = number
  default     = 600
}

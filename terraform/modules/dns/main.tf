# DNS of the cell: the base domain and its wildcard (every point's
# <slug>.<base domain>) point at the ingress load balancer.

resource "alicloud_alidns_record" "base" {
  domain_name = var.zone
  rr          = var.subdomain
  type        = "A"
  value       = var.ingress_ip
  ttl         = var.ttl
}

resource "alicloud_alidns_record" "wildcard" {
  domain_name = var.zone
  rr          = "*.${var.subdomain}"
  type        = "A"
  value       = var.ingress_ip
  ttl         = var.ttl
}

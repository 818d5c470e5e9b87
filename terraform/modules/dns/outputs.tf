output "base_domain" {
  description = "The base domain the records serve (BASE_DOMAIN of the app)."
  value       = "${var.subdomain}.${var.zone}"
}

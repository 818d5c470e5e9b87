output "instance_id" {
  description = "ID of the Elasticsearch instance."
  value       = alicloud_elasticsearch_instance.this.id
}

output "url" {
  description = "ELASTICSEARCH_URL of the app (HTTPS, user elastic, generated password)."
  value       = "https://elastic:${urlencode(random_password.elastic.result)}@${alicloud_elasticsearch_instance.this.domain}:${alicloud_elasticsearch_instance.this.port}"
  sensitive   = true
}

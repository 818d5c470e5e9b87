output "instance_id" {
  description = "ID of the Redis instance."
  value       = alicloud_kvstore_instance.this.id
}

output "broker_url" {
  description = "CELERY_BROKER_URL (database 0, TLS; contains the generated password)."
  value       = "rediss://:${random_password.redis.result}@${alicloud_kvstore_instance.this.connection_domain}:6379/0?ssl_cert_reqs=required"
  sensitive   = true
}

output "cache_url" {
  description = "CACHE_URL (database 1, TLS; contains the generated password)."
  value       = "rediss://:${random_password.redis.result}@${alicloud_kvstore_instance.this.connection_domain}:6379/1?ssl_cert_reqs=required"
  sensitive   = true
}

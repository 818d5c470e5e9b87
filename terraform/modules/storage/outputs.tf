output "bucket" {
  description = "Name of the file bucket."
  value       = alicloud_oss_bucket.this.bucket
}

output "intranet_endpoint" {
  description = "OSS endpoint inside the region's network, for the CSI volume."
  value       = alicloud_oss_bucket.this.intranet_endpoint
}

output "access_key_id" {
  description = "Access key of the bucket's RAM user (for the CSI volume's Secret)."
  value       = alicloud_ram_access_key.files.id
  sensitive   = true
}

output "access_key_secret" {
  description = "Secret of that access key (kept only in the encrypted state)."
  value       = alicloud_ram_access_key.files.secret
  sensitive   = true
}

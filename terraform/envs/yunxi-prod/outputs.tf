output "base_domain" {
  description = "The cell's base domain: the network directory; points at <slug>.<base_domain>."
  value       = module.dns.base_domain
}

output "ingress_ip" {
  description = "Public address the DNS records point to."
  value       = module.app.ingress_ip
}

output "cluster_id" {
  description = "ID of the ACK cluster (for `aliyun cs` and the console)."
  value       = module.kubernetes.cluster_id
}

output "postgresql_instance_id" {
  description = "ID of the RDS PostgreSQL instance (backups, restores, scaling)."
  value       = module.postgresql.instance_id
}

output "file_bucket" {
  description = "OSS bucket of the points' uploads and of point exports (backups/)."
  value       = module.storage.bucket
}

output "migration_job" {
  description = "Migration job of the deployed image (kubectl logs job/<name> shows each point)."
  value       = module.app.migration_job
}

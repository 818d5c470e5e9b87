output "ingress_ip" {
  description = "Public address of the ingress load balancer (the DNS records point here)."
  value       = kubernetes_ingress_v1.yimen.status[0].load_balancer[0].ingress[0].ip
}

output "migration_job" {
  description = "Name of the migration job of the deployed image (its logs show every point's result)."
  value       = kubernetes_job_v1.migrate.metadata[0].name
}

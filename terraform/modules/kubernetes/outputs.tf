output "cluster_id" {
  description = "ID of the ACK cluster."
  value       = alicloud_cs_managed_kubernetes.this.id
}

output "kube_config" {
  description = "Short-lived kubeconfig (60 minutes) for the Kubernetes provider of the app module."
  value       = data.alicloud_cs_cluster_credential.this.kube_config
  sensitive   = true
}

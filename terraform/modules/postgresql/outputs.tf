output "instance_id" {
  description = "ID of the RDS instance."
  value       = alicloud_db_instance.this.id
}

output "host" {
  description = "Private address of the database."
  value       = alicloud_db_instance.this.connection_string
}

output "database_url" {
  description = "DATABASE_URL of the app (contains the generated password; kept only in the encrypted state)."
  value       = "postgres://${alicloud_rds_account.app.account_name}:${random_password.app.result}@${alicloud_db_instance.this.connection_string}:${alicloud_db_instance.this.port}/${alicloud_db_database.yimen.data_base_name}?sslmode=require"
  sensitive   = true
}

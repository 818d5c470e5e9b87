# Managed PostgreSQL (ApsaraDB RDS) holding the cell's public schema and one
# schema per service point. High availability across two zones, SSL, TDE,
# SQL audit, backups kept for var.backup_retention_days.

resource "random_password" "app" {
  length  = 32
  special = false # goes into DATABASE_URL
}

resource "alicloud_db_instance" "this" {
  instance_name              = "${var.name}-pg"
  engine                     = "PostgreSQL"
  engine_version             = var.engine_version
  instance_type              = var.instance_class
  instance_storage           = var.storage_gb
  db_instance_storage_type   = "cloud_essd"
  category                   = "HighAvailability"
  zone_id                    = var.zones[0]
  zone_id_slave_a            = var.zones[1]
  vswitch_id                 = join(",", slice(var.vswitch_ids, 0, 2))
  security_ips               = [var.allowed_cidr]
  deletion_protection        = true
  auto_upgrade_minor_version = "Auto"
  ssl_action                 = "Open"
  tde_status                 = "Enabled"
  sql_collector_status       = "Enabled"
  sql_collector_config_value = 180
  # Many schemas: relation caches grow per connection, so keep connections few
  # and let the pooler in front (pgbouncer, if added) multiplex.
  parameters {
    name  = "max_connections"
    value = tostring(var.max_connections)
  }
  # Connection and duration logs for the audit trail of a government system.
  parameters {
    name  = "log_connections"
    value = "on"
  }
  parameters {
    name  = "log_disconnections"
    value = "on"
  }
  parameters {
    name  = "log_duration"
    value = "on"
  }
  parameters {
    name  = "log_min_duration_statement"
    value = "1000"
  }
  tags = var.tags
}

resource "alicloud_db_backup_policy" "this" {
  instance_id                 = alicloud_db_instance.this.id
  backup_retention_period     = var.backup_retention_days
  preferred_backup_period     = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
  preferred_backup_time       = "18:00Z-19:00Z" # 02:00-03:00 Beijing time
  log_backup_retention_period = var.backup_retention_days
}

resource "alicloud_db_database" "yimen" {
  instance_id    = alicloud_db_instance.this.id
  data_base_name = "yimen"
  character_set  = "UTF8"
}

resource "alicloud_rds_account" "app" {
  db_instance_id   = alicloud_db_instance.this.id
  account_name     = "yimen"
  account_password = random_password.app.result
  account_type     = "Normal"
}

resource "alicloud_db_account_privilege" "app" {
  instance_id  = alicloud_db_instance.this.id
  account_name = alicloud_rds_account.app.account_name
  privilege    = "DBOwner"
  db_names     = [alicloud_db_database.yimen.data_base_name]
}

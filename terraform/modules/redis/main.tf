# Managed Redis (ApsaraDB for Redis / Tair): the Celery broker and Django's
# cache. Master-replica across two zones, TLS, VPC only.

resource "random_password" "redis" {
  length  = 32
  special = false # goes into redis:// URLs
}

resource "alicloud_kvstore_instance" "this" {
  db_instance_name  = "${var.name}-redis"
  instance_type     = "Redis"
  engine_version    = "7.0"
  instance_class    = var.instance_class
  zone_id           = var.zones[0]
  secondary_zone_id = var.zones[1]
  vswitch_id        = var.vswitch_ids[0]
  security_ips      = [var.allowed_cidr]
  password          = random_password.redis.result
  ssl_enable        = "Enable"
  tde_status        = "Enabled"
  # Celery needs no other commands disabled; keys are namespaced by the app.
  config = {
    maxmemory-policy = "noeviction" # a broker must never drop queued tasks
  }
  tags = var.tags
}

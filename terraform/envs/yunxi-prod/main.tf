# An example production cell: the 云溪县 county network (about 150 points) on
# Alibaba Cloud. Copy this folder per cell (envs/<cell>), set its variables
# (terraform.tfvars.example) and size (cell_size).
#
# Credentials never appear here: the alicloud provider reads
# ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY (or an ALICLOUD_PROFILE) from the
# environment; the certificate comes as TF_VAR_tls_* variables.

provider "alicloud" {
  region = var.region
}

locals {
  name = "yimen-${var.cell}"
  tags = merge(var.tags, { app = "yimen", cell = var.cell })

  # Sizes per kind of cell; any one can be overridden by the size_overrides variable.
  presets = {
    county = { # about 150 points
      node_instance_types  = ["ecs.g7.xlarge", "ecs.g6.xlarge"]
      node_count_min       = 2
      node_count_max       = 6
      postgres_class       = "pg.n4.2c.2m"
      postgres_storage_gb  = 200
      redis_class          = "redis.master.small.default"
      es_data_node_count   = 2
      es_data_node_spec    = "elasticsearch.sn2ne.large"
      es_data_node_disk_gb = 100
      web_replicas_min     = 2
      web_replicas_max     = 6
      worker_replicas_min  = 2
      worker_replicas_max  = 4
    }
    prefecture = { # about 1,500 points
      node_instance_types  = ["ecs.g7.2xlarge", "ecs.g6.2xlarge"]
      node_count_min       = 3
      node_count_max       = 12
      postgres_class       = "pg.n4.8c.2m"
      postgres_storage_gb  = 1000
      redis_class          = "redis.master.mid.default"
      es_data_node_count   = 4
      es_data_node_spec    = "elasticsearch.sn2ne.xlarge"
      es_data_node_disk_gb = 300
      web_replicas_min     = 3
      web_replicas_max     = 20
      worker_replicas_min  = 3
      worker_replicas_max  = 12
    }
  }
  size = merge(local.presets[var.cell_size], var.size_overrides)
}

module "network" {
  source = "../../modules/network"
  name   = local.name
  zones  = var.zones
  tags   = local.tags
}

module "kubernetes" {
  source              = "../../modules/kubernetes"
  name                = local.name
  vswitch_ids         = module.network.vswitch_ids
  node_instance_types = local.size.node_instance_types
  node_count_min      = local.size.node_count_min
  node_count_max      = local.size.node_count_max
  tags                = local.tags
}

module "postgresql" {
  source         = "../../modules/postgresql"
  name           = local.name
  zones          = var.zones
  vswitch_ids    = module.network.vswitch_ids
  allowed_cidr   = module.network.vpc_cidr
  instance_class = local.size.postgres_class
  storage_gb     = local.size.postgres_storage_gb
  tags           = local.tags
}

module "redis" {
  source         = "../../modules/redis"
  name           = local.name
  zones          = var.zones
  vswitch_ids    = module.network.vswitch_ids
  allowed_cidr   = module.network.vpc_cidr
  instance_class = local.size.redis_class
  tags           = local.tags
}

module "elasticsearch" {
  source            = "../../modules/elasticsearch"
  name              = local.name
  vswitch_ids       = module.network.vswitch_ids
  allowed_cidr      = module.network.vpc_cidr
  data_node_count   = local.size.es_data_node_count
  data_node_spec    = local.size.es_data_node_spec
  data_node_disk_gb = local.size.es_data_node_disk_gb
  tags              = local.tags
}

module "storage" {
  source = "../../modules/storage"
  name   = local.name
  tags   = local.tags
}

# The app goes onto the new cluster with a short-lived kubeconfig.
locals {
  kube = yamldecode(module.kubernetes.kube_config)
}

provider "kubernetes" {
  host                   = local.kube.clusters[0].cluster.server
  cluster_ca_certificate = base64decode(local.kube.clusters[0].cluster["certificate-authority-data"])
  client_certificate     = base64decode(local.kube.users[0].user["client-certificate-data"])
  client_key             = base64decode(local.kube.users[0].user["client-key-data"])
}

module "app" {
  source                = "../../modules/app"
  image                 = var.image
  base_domain           = "${var.dns_subdomain}.${var.dns_zone}"
  database_url          = module.postgresql.database_url
  broker_url            = module.redis.broker_url
  cache_url             = module.redis.cache_url
  elasticsearch_url     = module.elasticsearch.url
  sentry_dsn            = var.sentry_dsn
  tls_certificate_pem   = var.tls_certificate_pem
  tls_private_key_pem   = var.tls_private_key_pem
  oss_bucket            = module.storage.bucket
  oss_endpoint          = module.storage.intranet_endpoint
  oss_access_key_id     = module.storage.access_key_id
  oss_access_key_secret = module.storage.access_key_secret
  web_replicas_min      = local.size.web_replicas_min
  web_replicas_max      = local.size.web_replicas_max
  worker_replicas_min   = local.size.worker_replicas_min
  worker_replicas_max   = local.size.worker_replicas_max
}

module "dns" {
  source     = "../../modules/dns"
  zone       = var.dns_zone
  subdomain  = var.dns_subdomain
  ingress_ip = module.app.ingress_ip
}

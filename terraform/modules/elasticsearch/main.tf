# Managed Elasticsearch: one cluster for the cell's catalogue search (one
# shared index behind an alias, documents routed by point). Private network
# only, HTTPS, nodes in two zones.

resource "random_password" "elastic" {
  length           = 24
  special          = true
  override_special = "!#%^*-_" # allowed by the service, harmless in URLs once encoded
  min_upper        = 2
  min_lower        = 2
  min_numeric      = 2
  min_special      = 1
}

resource "alicloud_elasticsearch_instance" "this" {
  description                   = "${var.name}-es"
  version                       = var.engine_version
  instance_charge_type          = "PostPaid"
  vswitch_id                    = var.vswitch_ids[0]
  zone_count                    = 2
  data_node_amount              = var.data_node_count
  data_node_spec                = var.data_node_spec
  data_node_disk_size           = var.data_node_disk_gb
  data_node_disk_type           = "cloud_essd"
  master_node_spec              = var.master_node_spec
  password                      = random_password.elastic.result
  protocol                      = "HTTPS"
  enable_public                 = false
  enable_kibana_public_network  = false
  enable_kibana_private_network = true
  private_whitelist             = [var.allowed_cidr]
  kibana_private_whitelist      = [var.allowed_cidr]
  tags                          = var.tags
}

# A managed Kubernetes cluster (ACK Pro) for the cell's web and worker pods,
# with one autoscaling node pool. The control plane is Alibaba's; the API
# server is reachable only inside the VPC.

resource "alicloud_cs_managed_kubernetes" "this" {
  name                 = "${var.name}-ack"
  cluster_spec         = "ack.pro.small"
  version              = var.kubernetes_version
  vswitch_ids          = var.vswitch_ids
  pod_cidr             = var.pod_cidr
  service_cidr         = var.service_cidr
  new_nat_gateway      = true # nodes pull images from the cell's registry through it
  slb_internet_enabled = false
  deletion_protection  = true
  enable_rrsa          = true
  # Audit and API server logs to the log service (checked by the policy scan).
  control_plane_log_components = ["apiserver", "kcm", "scheduler"]

  addons {
    name = "nginx-ingress-controller"
  }
  addons {
    name = "csi-plugin"
  }
  addons {
    name = "csi-provisioner"
  }
  addons {
    name = "metrics-server"
  }

  tags = var.tags
}

resource "alicloud_cs_kubernetes_node_pool" "this" {
  cluster_id     = alicloud_cs_managed_kubernetes.this.id
  node_pool_name = "${var.name}-nodes"
  vswitch_ids    = var.vswitch_ids
  instance_types = var.node_instance_types

  system_disk_category = "cloud_essd"
  system_disk_size     = 120

  # Broken nodes are replaced automatically; Kubernetes upgrades stay a planned step.
  management {
    enable          = true
    auto_repair     = true
    auto_upgrade    = false
    max_unavailable = 1
  }

  scaling_config {
    enable   = true
    min_size = var.node_count_min
    max_size = var.node_count_max
  }

  tags = var.tags
}

data "alicloud_cs_cluster_credential" "this" {
  cluster_id                 = alicloud_cs_managed_kubernetes.this.id
  temporary_duration_minutes = 60
}

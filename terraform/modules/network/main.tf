# The cell's private network: one VPC, a vSwitch per zone (two zones at
# least, so the cluster and the databases survive the loss of one).

resource "alicloud_vpc" "this" {
  vpc_name    = "${var.name}-vpc"
  cidr_block  = var.cidr_block
  description = "Yimen cell ${var.name}"
  tags        = var.tags
}

resource "alicloud_vswitch" "this" {
  count        = length(var.zones)
  vswitch_name = "${var.name}-${var.zones[count.index]}"
  vpc_id       = alicloud_vpc.this.id
  cidr_block   = cidrsubnet(var.cidr_block, 8, count.index)
  zone_id      = var.zones[count.index]
  tags         = var.tags
}

output "vpc_id" {
  description = "ID of the cell's VPC."
  value       = alicloud_vpc.this.id
}

output "vpc_cidr" {
  description = "Address range of the VPC (allowed to reach the databases)."
  value       = alicloud_vpc.this.cidr_block
}

output "vswitch_ids" {
  description = "vSwitch IDs, one per zone, in the order of var.zones."
  value       = alicloud_vswitch.this[*].id
}

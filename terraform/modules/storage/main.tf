# Object storage (OSS) for the points' uploads (mounted into the pods as
# MEDIA_ROOT through ACK's OSS CSI driver) and for point exports and other
# backups (under backups/). Private, encrypted, versioned.

# The cell's own key for files at rest, rotated yearly.
resource "alicloud_kms_key" "files" {
  description            = "Yimen ${var.name}: uploads and backups at rest"
  pending_window_in_days = 30
  status                 = "Enabled"
  automatic_rotation     = "Enabled"
  rotation_interval      = "31536000s"
  tags                   = var.tags
}

resource "alicloud_oss_bucket" "this" {
  #checkov:skip=CKV_ALI_11:Pods reach the bucket over the region's intranet endpoint; transfer acceleration speeds up far-away public uploads, which this bucket does not take.
  bucket          = "${var.name}-files"
  storage_class   = "Standard"
  redundancy_type = "ZRS" # zone-redundant: survives the loss of a zone

  versioning {
    status = "Enabled" # an overwritten or deleted upload can be brought back
  }

  server_side_encryption_rule {
    sse_algorithm     = "KMS"
    kms_master_key_id = alicloud_kms_key.files.id
  }

  logging {
    target_bucket = alicloud_oss_bucket.logs.id
    target_prefix = "access/"
  }

  lifecycle_rule {
    id      = "expire-old-versions"
    enabled = true
    noncurrent_version_expiration {
      days = var.noncurrent_version_days
    }
  }

  tags = var.tags
}

resource "alicloud_oss_bucket_acl" "this" {
  bucket = alicloud_oss_bucket.this.bucket
  acl    = "private"
}

resource "alicloud_oss_bucket" "logs" {
  #checkov:skip=CKV_ALI_12:This is the access-log bucket itself; logging it into itself would loop.
  #checkov:skip=CKV_ALI_10:Access logs are write-once records; versioning them adds cost, not safety.
  #checkov:skip=CKV_ALI_11:Only OSS itself writes access logs here, inside the region.
  bucket = "${var.name}-access-logs"

  server_side_encryption_rule {
    sse_algorithm     = "KMS"
    kms_master_key_id = alicloud_kms_key.files.id
  }

  tags = var.tags
}

resource "alicloud_oss_bucket_acl" "logs" {
  bucket = alicloud_oss_bucket.logs.bucket
  acl    = "private"
}

# A RAM user limited to this bucket, for the OSS CSI volume of the pods.
resource "alicloud_ram_user" "files" {
  name         = "${var.name}-files"
  display_name = "Yimen ${var.name} file storage"
  comments     = "Used only by the OSS CSI volume of the cell's pods"
}

resource "alicloud_ram_policy" "files" {
  policy_name = "${var.name}-files"
  description = "Read and write the cell's file bucket, nothing else"
  policy_document = jsonencode({
    Version = "1"
    Statement = [{
      Effect   = "Allow"
      Action   = ["oss:GetObject", "oss:PutObject", "oss:DeleteObject", "oss:ListObjects", "oss:GetBucketInfo"]
      Resource = ["acs:oss:*:*:${alicloud_oss_bucket.this.bucket}", "acs:oss:*:*:${alicloud_oss_bucket.this.bucket}/*"]
    }]
  })
}

resource "alicloud_ram_user_policy_attachment" "files" {
  policy_name = alicloud_ram_policy.files.policy_name
  policy_type = alicloud_ram_policy.files.type
  user_name   = alicloud_ram_user.files.name
}

resource "alicloud_ram_access_key" "files" {
  user_name = alicloud_ram_user.files.name
}

# Yimen deployed onto the cell's cluster: the same objects as infra/k8s
# (there for kubectl users), with the secrets taken from the other modules'
# outputs and the migration job run to completion before any deployment
# moves to the new image.

locals {
  labels = { "app.kubernetes.io/name" = "yimen", "app.kubernetes.io/part-of" = "yimen" }
  # Any change of image gets a new migration job (jobs are immutable).
  migrate_job = "yimen-migrate-${substr(sha1(var.image), 0, 10)}"

  processes = {
    web = {
      args        = ["web"]
      replicas    = var.web_replicas_min
      resources   = var.resources.web
      http_probes = true
      probe_cmd   = []
    }
    worker = {
      args        = ["worker"]
      replicas    = var.worker_replicas_min
      resources   = var.resources.worker
      http_probes = false
      probe_cmd   = ["sh", "-c", "celery -A yimen inspect ping -d worker@$HOSTNAME --timeout 10"]
    }
    beat = {
      args        = ["beat"]
      replicas    = 1 # never two beats: each periodic task would run twice
      resources   = var.resources.beat
      http_probes = false
      probe_cmd   = ["python", "-c", "import os,sys,time; sys.exit(time.time() - os.path.getmtime('/tmp/celerybeat-schedule') > 600)"]
    }
  }
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

# Signs point archives (export_point); import_point refuses any other signature.
resource "random_password" "archive_key" {
  length  = 64
  special = false
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.namespace
    labels = { "pod-security.kubernetes.io/enforce" = "restricted" }
  }
}

resource "kubernetes_config_map_v1" "app" {
  metadata {
    name      = "yimen-config"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  data = {
    DJANGO_SETTINGS_MODULE = "yimen.settings.production"
    BASE_DOMAIN            = var.base_domain
    MEDIA_ROOT             = "/data/media"
    LOG_LEVEL              = var.log_level
    WEB_CONCURRENCY        = "2"
    CELERY_CONCURRENCY     = "2"
  }
}

resource "kubernetes_secret_v1" "app" {
  metadata {
    name      = "yimen-secrets"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  data = {
    SECRET_KEY            = random_password.secret_key.result
    YIMEN_ARCHIVE_KEY     = random_password.archive_key.result
    DATABASE_URL          = var.database_url
    CELERY_BROKER_URL     = var.broker_url
    CELERY_RESULT_BACKEND = var.broker_url
    CACHE_URL             = var.cache_url
    ELASTICSEARCH_URL     = var.elasticsearch_url
    SENTRY_DSN            = var.sentry_dsn
  }
}

resource "kubernetes_secret_v1" "tls" {
  metadata {
    name      = "yimen-wildcard-tls"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = var.tls_certificate_pem
    "tls.key" = var.tls_private_key_pem
  }
}

# --- uploads: the OSS bucket mounted read-write in every web and worker pod ---

resource "kubernetes_secret_v1" "oss" {
  metadata {
    name      = "yimen-oss"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  data = {
    akId     = var.oss_access_key_id
    akSecret = var.oss_access_key_secret
  }
}

resource "kubernetes_persistent_volume_v1" "media" {
  metadata {
    name = "${var.namespace}-media"
  }
  spec {
    capacity                         = { storage = "1Ti" } # not enforced by OSS
    access_modes                     = ["ReadWriteMany"]
    persistent_volume_reclaim_policy = "Retain"
    storage_class_name               = "oss"
    persistent_volume_source {
      csi {
        driver        = "ossplugin.csi.alibabacloud.com"
        volume_handle = "${var.namespace}-media"
        node_publish_secret_ref {
          name      = kubernetes_secret_v1.oss.metadata[0].name
          namespace = kubernetes_namespace_v1.this.metadata[0].name
        }
        volume_attributes = {
          bucket    = var.oss_bucket
          url       = var.oss_endpoint
          path      = "/media"
          otherOpts = "-o max_stat_cache_size=0 -o allow_other -o uid=10001 -o gid=10001"
        }
      }
    }
  }
}

resource "kubernetes_persistent_volume_claim_v1" "media" {
  metadata {
    name      = "yimen-media"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  spec {
    access_modes       = ["ReadWriteMany"]
    storage_class_name = "oss"
    volume_name        = kubernetes_persistent_volume_v1.media.metadata[0].name
    resources {
      requests = { storage = "1Ti" }
    }
  }
}

# --- migrations across every point, before the rollout ------------------------

resource "kubernetes_job_v1" "migrate" {
  #checkov:skip=CKV_K8S_14:The image comes from var.image, whose validation requires an explicit version tag (never latest).
  #checkov:skip=CKV_K8S_43:Release tags are immutable in the cell's registry; var.image also accepts a name@sha256 digest.
  metadata {
    name      = local.migrate_job
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { "app.kubernetes.io/component" = "migrate" })
  }
  spec {
    backoff_limit              = 1
    active_deadline_seconds    = 3600
    ttl_seconds_after_finished = 86400
    template {
      metadata {
        labels = merge(local.labels, { "app.kubernetes.io/component" = "migrate" })
      }
      spec {
        restart_policy                  = "Never"
        automount_service_account_token = false
        security_context {
          run_as_non_root = true
          run_as_user     = 10001
          run_as_group    = 10001
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name  = "migrate"
          image = var.image
          args  = ["manage", "deploy_points"]
          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.app.metadata[0].name
            }
          }
          env_from {
            secret_ref {
              name = kubernetes_secret_v1.app.metadata[0].name
            }
          }
          resources {
            requests = { cpu = "500m", memory = "512Mi" }
            limits   = { cpu = "2", memory = "2Gi" }
          }
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "1Gi"
          }
        }
      }
    }
  }
  wait_for_completion = true
  timeouts {
    create = "60m"
    update = "60m"
  }
}

# --- web, worker, beat ----------------------------------------------------------

resource "kubernetes_deployment_v1" "process" {
  #checkov:skip=CKV_K8S_14:The image comes from var.image, whose validation requires an explicit version tag (never latest).
  #checkov:skip=CKV_K8S_43:Release tags are immutable in the cell's registry; var.image also accepts a name@sha256 digest.
  for_each = local.processes
  # A new image rolls out only after its migrations completed.
  depends_on = [kubernetes_job_v1.migrate]

  metadata {
    name      = "yimen-${each.key}"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { "app.kubernetes.io/component" = each.key })
  }
  spec {
    replicas = each.value.replicas
    selector {
      match_labels = { "app.kubernetes.io/name" = "yimen", "app.kubernetes.io/component" = each.key }
    }
    strategy {
      type = each.key == "beat" ? "Recreate" : "RollingUpdate"
    }
    template {
      metadata {
        labels = merge(local.labels, { "app.kubernetes.io/component" = each.key })
      }
      spec {
        automount_service_account_token  = false
        termination_grace_period_seconds = each.key == "worker" ? 120 : 45
        security_context {
          run_as_non_root = true
          run_as_user     = 10001
          run_as_group    = 10001
          fs_group        = 10001
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name              = each.key
          image             = var.image
          image_pull_policy = "Always"
          args              = each.value.args
          dynamic "port" {
            for_each = each.value.http_probes ? [8000] : []
            content {
              name           = "http"
              container_port = port.value
            }
          }
          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.app.metadata[0].name
            }
          }
          env_from {
            secret_ref {
              name = kubernetes_secret_v1.app.metadata[0].name
            }
          }
          resources {
            requests = { cpu = each.value.resources.cpu_request, memory = each.value.resources.memory_request }
            limits   = { cpu = each.value.resources.cpu_limit, memory = each.value.resources.memory_limit }
          }
          # Liveness touches no dependency; readiness (/readyz) checks PostgreSQL, broker, Elasticsearch.
          liveness_probe {
            dynamic "http_get" {
              for_each = each.value.http_probes ? ["/healthz"] : []
              content {
                path = http_get.value
                port = 8000
              }
            }
            dynamic "exec" {
              for_each = each.value.http_probes ? [] : [each.value.probe_cmd]
              content {
                command = exec.value
              }
            }
            initial_delay_seconds = each.value.http_probes ? 10 : 120
            period_seconds        = each.value.http_probes ? 15 : 60
            timeout_seconds       = each.value.http_probes ? 5 : 30
            failure_threshold     = 4
          }
          readiness_probe {
            dynamic "http_get" {
              for_each = each.value.http_probes ? ["/readyz"] : []
              content {
                path = http_get.value
                port = 8000
              }
            }
            dynamic "exec" {
              for_each = each.value.http_probes ? [] : [each.value.probe_cmd]
              content {
                command = exec.value
              }
            }
            period_seconds  = each.value.http_probes ? 10 : 60
            timeout_seconds = each.value.http_probes ? 8 : 30
          }
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
          dynamic "volume_mount" {
            for_each = each.key == "beat" ? [] : ["/data/media"]
            content {
              name       = "media"
              mount_path = volume_mount.value
            }
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "1Gi"
          }
        }
        dynamic "volume" {
          for_each = each.key == "beat" ? [] : [kubernetes_persistent_volume_claim_v1.media.metadata[0].name]
          content {
            name = "media"
            persistent_volume_claim {
              claim_name = volume.value
            }
          }
        }
      }
    }
  }
  lifecycle {
    ignore_changes = [spec[0].replicas] # the autoscalers own the replica count of web and worker
  }
}

resource "kubernetes_service_v1" "web" {
  metadata {
    name      = "yimen-web"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  spec {
    selector = { "app.kubernetes.io/name" = "yimen", "app.kubernetes.io/component" = "web" }
    port {
      name        = "http"
      port        = 80
      target_port = 8000
    }
  }
}

resource "kubernetes_horizontal_pod_autoscaler_v2" "scaled" {
  for_each = {
    web    = { min = var.web_replicas_min, max = var.web_replicas_max, cpu = 70 }
    worker = { min = var.worker_replicas_min, max = var.worker_replicas_max, cpu = 75 }
  }
  metadata {
    name      = "yimen-${each.key}"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  spec {
    min_replicas = each.value.min
    max_replicas = each.value.max
    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_deployment_v1.process[each.key].metadata[0].name
    }
    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = each.value.cpu
        }
      }
    }
  }
}

resource "kubernetes_ingress_v1" "yimen" {
  metadata {
    name      = "yimen"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    annotations = {
      "nginx.ingress.kubernetes.io/force-ssl-redirect" = "true"
      "nginx.ingress.kubernetes.io/proxy-body-size"    = "50m"
    }
  }
  spec {
    ingress_class_name = "nginx"
    tls {
      hosts       = [var.base_domain, "*.${var.base_domain}"]
      secret_name = kubernetes_secret_v1.tls.metadata[0].name
    }
    dynamic "rule" {
      for_each = [var.base_domain, "*.${var.base_domain}"]
      content {
        host = rule.value
        http {
          path {
            path      = "/"
            path_type = "Prefix"
            backend {
              service {
                name = kubernetes_service_v1.web.metadata[0].name
                port {
                  name = "http"
                }
              }
            }
          }
        }
      }
    }
  }
  wait_for_load_balancer = true
}

#!/bin/sh
# The one image runs as any of Yimen's processes; the first argument says which.
set -eu
cd "$(dirname "$0")/../.."  # the app's root (/app in the image)
case "${1:-web}" in
  web)
    exec gunicorn -c infra/gunicorn.conf.py yimen.wsgi:application ;;
  worker)
    # Tenant-aware tasks (tenant-schemas-celery); acks late, so a task lost
    # with its pod is delivered again.
    exec celery -A yimen worker -l "${LOG_LEVEL:-INFO}" --concurrency "${CELERY_CONCURRENCY:-2}" \
      -n "worker@%h" --without-mingle ;;
  beat)
    # Exactly one beat per cell (compose: one service; Kubernetes: replicas 1, Recreate).
    exec celery -A yimen beat -l "${LOG_LEVEL:-INFO}" -s /tmp/celerybeat-schedule ;;
  migrate)
    # Public schema, schema template, then every point's schema in parallel.
    exec python manage.py deploy_points ;;
  manage)
    shift; exec python manage.py "$@" ;;
  *)
    exec "$@" ;;
esac

#!/bin/sh
# Roll out Yimen to a Kubernetes namespace: secrets from the environment,
# migrations of every point (a Job, waited for), then the new image.
#
#   YIMEN_IMAGE=registry.example.cn/yimen/yimen:1.4.0 BASE_DOMAIN=zwfw.example.gov.cn \
#   SECRET_KEY=… YIMEN_ARCHIVE_KEY=… DATABASE_URL=… CELERY_BROKER_URL=… CACHE_URL=… ELASTICSEARCH_URL=… \
#   infra/k8s/deploy.sh
#
# A failed migration stops here: the running pods keep the previous image.
set -eu
cd "$(dirname "$0")"
: "${YIMEN_IMAGE:?set YIMEN_IMAGE (registry/yimen:tag)}"
: "${BASE_DOMAIN:?set BASE_DOMAIN}"
: "${SECRET_KEY:?set SECRET_KEY}"
: "${YIMEN_ARCHIVE_KEY:?set YIMEN_ARCHIVE_KEY (signs point archives)}"
: "${DATABASE_URL:?set DATABASE_URL}"
: "${CELERY_BROKER_URL:?set CELERY_BROKER_URL}"
: "${CACHE_URL:?set CACHE_URL}"
NS="${YIMEN_NAMESPACE:-yimen}"
PLACEHOLDER_IMAGE="registry.example.cn/yimen/yimen:0.1.0"
PLACEHOLDER_DOMAIN="zwfw.example.gov.cn"
render() { sed -e "s#${PLACEHOLDER_IMAGE}#${YIMEN_IMAGE}#g" -e "s#image: yimen\$#image: ${YIMEN_IMAGE}#" \
               -e "s#${PLACEHOLDER_DOMAIN}#${BASE_DOMAIN}#g" -e "s#namespace: yimen\$#namespace: ${NS}#"; }

echo "[deploy] namespace ${NS}, secrets and settings"
sed -e "s#name: yimen\$#name: ${NS}#" namespace.yaml | kubectl apply -f -
kubectl -n "$NS" create secret generic yimen-secrets \
  --from-literal=SECRET_KEY="$SECRET_KEY" \
  --from-literal=YIMEN_ARCHIVE_KEY="$YIMEN_ARCHIVE_KEY" \
  --from-literal=DATABASE_URL="$DATABASE_URL" \
  --from-literal=CELERY_BROKER_URL="$CELERY_BROKER_URL" \
  --from-literal=CELERY_RESULT_BACKEND="${CELERY_RESULT_BACKEND:-$CELERY_BROKER_URL}" \
  --from-literal=CACHE_URL="$CACHE_URL" \
  --from-literal=ELASTICSEARCH_URL="${ELASTICSEARCH_URL:-}" \
  --from-literal=SENTRY_DSN="${SENTRY_DSN:-}" \
  --dry-run=client -o yaml | kubectl apply -f -
render < config.yaml | kubectl -n "$NS" apply -f -

JOB="yimen-migrate-$(date +%Y%m%d%H%M%S)"
echo "[deploy] migrations of every point: job ${JOB}"
render < migrate-job.yaml | sed -e "s#name: yimen-migrate\$#name: ${JOB}#" | kubectl -n "$NS" apply -f -
while :; do
  state="$(kubectl -n "$NS" get job "$JOB" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')"
  case "$state" in *Complete*) break ;; esac
  if case "$state" in *Failed*) true ;; *) false ;; esac; then
    kubectl -n "$NS" logs "job/$JOB" --tail=100 || true
    echo "[deploy] migration job ${JOB} failed: rollout stopped, running pods unchanged" >&2
    exit 1
  fi
  sleep 5
done

echo "[deploy] rolling out ${YIMEN_IMAGE}"
kubectl kustomize . | render | kubectl apply -f -
for name in yimen-web yimen-worker yimen-beat; do
  kubectl -n "$NS" rollout status "deployment/$name" --timeout=15m
done
echo "[deploy] done"

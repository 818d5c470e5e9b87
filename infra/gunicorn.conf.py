"""Gunicorn settings for the web process of the container image.

Gunicorn (WSGI, pre-fork) is the production server: mature, pure Python, and
its workers are recycled after a number of requests, which bounds memory
growth of long-lived Django processes. Variables gunicorn reads itself:
WEB_CONCURRENCY (worker processes, default 2 here: size pods by replicas,
not by workers) and GUNICORN_CMD_ARGS (any extra flag).
"""
import os
import shutil
from pathlib import Path

from yimen.gunicorn_hooks import post_worker_init  # noqa: F401  (gunicorn reads it by name)

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4
timeout = 60  # a request that runs longer belongs in a Celery task
graceful_timeout = 30  # below Kubernetes' terminationGracePeriodSeconds
keepalive = 5  # above nothing: the proxy in front keeps its own upstream connections
# A worker is replaced after this many requests (and up to the jitter more, so that
# workers do not restart together), which bounds slow memory growth (the search's own
# per-process memories are bounded). A new worker spends seconds of CPU starting
# (Django, then the search vocabulary: yimen.gunicorn_hooks), and a busy one answers
# 60-120 searches a second on 2 cores: at 2,000 each was replaced every 15-35 s, and
# under cold search load that halved the answers a second and put p95 at 8 s
# (tests/bench/search_recycling.py).
max_requests = 50000
max_requests_jitter = 5000
forwarded_allow_ips = "*"  # only the proxy/ingress reaches the pod; it sets X-Forwarded-*
accesslog = "-"
# One JSON object per request, like the application's own logs (ops.jsonlog).
access_log_format = (
    '{"time":"%(t)s","logger":"gunicorn.access","method":"%(m)s","path":"%(U)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_ms":%(M)s,"host":"%({host}i)s",'
    '"forwarded_for":"%({x-forwarded-for}i)s"}'
)
errorlog = "-"


def on_starting(server):
    # prometheus-client's multiprocess files must start empty at every start.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

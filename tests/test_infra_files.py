"""The deployment files, checked as far as this machine allows: no Docker
engine, cluster or cloud runs here, so the image, compose file and Kubernetes
manifests are parsed and checked for what an operator relies on, and the
commands they run (collectstatic as in the image build, gunicorn's config,
the entrypoint) are run for real."""
from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, child_env, free_port

INFRA = ROOT / "infra"
DOCKERFILE = INFRA / "container" / "Dockerfile"
K8S = INFRA / "k8s"
SECRET_NAMES = {"SECRET_KEY", "YIMEN_ARCHIVE_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                "CACHE_URL", "SENTRY_DSN", "ELASTICSEARCH_URL"}


# --- container image -----------------------------------------------------------

def _stages(text: str) -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[tuple[str, list[str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line, []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def test_image_is_multi_stage_and_runs_as_a_non_root_user():
    stages = _stages(DOCKERFILE.read_text())
    assert len(stages) >= 2 and all(" AS " in f.upper() for f, _ in stages), "named build stages"
    _, final = stages[-1]
    users = [i.split(None, 1)[1] for i in final if i.upper().startswith("USER ")]
    assert users, "the final stage sets USER"
    user = users[-1].split(":")[0]
    uid = re.search(r"ARG UID=(\d+)", DOCKERFILE.read_text()).group(1) if user == "${UID}" else user
    assert uid not in {"0", "root"} and int(uid) >= 1000
    # Nothing after USER switches back to root, and no secret is baked into the image.
    assert not any(i.upper().startswith("USER ") and "root" in i for i in final)
    env_lines = " ".join(i for i in final if i.upper().startswith("ENV "))
    assert "SECRET_KEY" not in env_lines and "PASSWORD" not in env_lines
    assert "DJANGO_SETTINGS_MODULE=yimen.settings.production" in env_lines
    # The build stage's packages and the collected static files are copied in.
    copies = [i for i in final if i.upper().startswith("COPY --FROM")]
    assert any("/opt/venv" in c for c in copies) and any("/app/static" in c for c in copies)
    assert any(i.startswith("HEALTHCHECK") and "/healthz" in i for i in final)


def test_image_carries_every_source_root_the_settings_need():
    text = DOCKERFILE.read_text()
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for folder in ("platform", "tenants", "cms", "search", "infra"):
        assert re.search(rf"COPY --chown=root:root {folder} \./{folder}", text), folder
        assert folder not in ignored
    assert "manage.py" not in ignored and ".venv" in ignored and ".data" in ignored


def test_entrypoint_runs_every_process_of_the_stack():
    entrypoint = INFRA / "container" / "entrypoint.sh"
    assert subprocess.run(["sh", "-n", str(entrypoint)]).returncode == 0
    text = entrypoint.read_text()
    assert "gunicorn -c infra/gunicorn.conf.py yimen.wsgi:application" in text
    assert "celery -A yimen worker" in text and "celery -A yimen beat" in text
    assert "manage.py deploy_points" in text
    # An unknown process name is run as a command (e.g. a shell for debugging), not silently ignored.
    result = subprocess.run(["sh", str(entrypoint), "echo", "处理中"], capture_output=True, text=True, cwd="/")
    assert result.returncode == 0 and result.stdout.strip() == "处理中"
    # `manage` runs Django's deployment checks with the production settings and nothing is flagged.
    result = subprocess.run(["sh", str(entrypoint), "manage", "check", "--deploy", "--fail-level", "WARNING"],
                            env=_production_env(), capture_output=True, text=True, cwd="/", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _production_env(**extra) -> dict[str, str]:
    env = {**child_env(), "DJANGO_SETTINGS_MODULE": "yimen.settings.production",
           "PATH": f"{Path(sys.executable).parent}:{child_env().get('PATH', '/usr/bin:/bin')}",
           "SECRET_KEY": secrets.token_urlsafe(48), "YIMEN_ARCHIVE_KEY": secrets.token_urlsafe(48),
           "BASE_DOMAIN": "zwfw.example.gov.cn"}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set while the browser tests run; never in deployment
    env.update(extra)
    return env


def test_static_files_collect_without_a_database_as_in_the_image_build():
    build = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    run = next(line for line in build.splitlines() if line.startswith("RUN ") and "collectstatic" in line)
    assigned = dict(re.findall(r"(\w+)=(\S+)", run.split("/opt/venv/bin/python")[0]))
    assert assigned["DATABASE_URL"].endswith(":1/build"), "nothing listens there"
    static_root = Path(tempfile.mkdtemp(prefix="yimen-static-"))
    try:
        env = _production_env(**{**assigned, "STATIC_ROOT": str(static_root),
                                 "DATABASE_URL": f"postgres://build@127.0.0.1:{free_port()}/build",
                                 "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"})
        result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        assert (static_root / "staticfiles.json").exists()
        assert list(static_root.glob("ops/js/date-choosers.*.js.gz")), "hashed and pre-compressed"
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def test_gunicorn_configuration_and_application_load():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(INFRA / "gunicorn.conf.py"),
         "yimen.wsgi:application"],
        env=_production_env(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- compose -------------------------------------------------------------------

COMPOSE = INFRA / "compose" / "compose.yaml"


def test_compose_runs_the_whole_stack_behind_a_proxy():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "elasticsearch", "migrate", "web", "worker", "beat", "proxy"}
    app = {name: services[name] for name in ("migrate", "web", "worker", "beat")}
    assert len({s["image"] for s in app.values()}) == 1, "one image for every app process"
    assert {name: s["command"] for name, s in app.items()} == {
        "migrate": ["migrate"], "web": ["web"], "worker": ["worker"], "beat": ["beat"]}
    for name in ("web", "worker", "beat"):
        assert app[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert app["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("postgres", "redis", "elasticsearch"):
        assert "healthcheck" in services[name], name
    # web uses the image's HEALTHCHECK (/healthz); the others, which serve no HTTP, have their own.
    assert "healthcheck" not in app["web"]
    assert "inspect ping" in str(app["worker"]["healthcheck"]["test"])
    assert "celerybeat-schedule" in str(app["beat"]["healthcheck"]["test"])
    assert app["migrate"]["healthcheck"] == {"disable": True}
    # Only the proxy is published; the data services sit on an internal network.
    assert [n for n, s in services.items() if s.get("ports")] == ["proxy"]
    assert compose["networks"]["backend"]["internal"] is True
    # Data lives in named volumes.
    mounts = {name: [v.split(":")[0] for v in s.get("volumes", [])] for name, s in services.items()}
    assert "pgdata" in mounts["postgres"] and "redisdata" in mounts["redis"]
    assert "esdata" in mounts["elasticsearch"] and "media" in mounts["web"] and "media" in mounts["worker"]
    assert {"pgdata", "redisdata", "esdata", "media"} <= set(compose["volumes"])
    env = app["web"]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "yimen.settings.production"
    assert env["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"


def test_compose_environment_is_documented_and_secrets_have_no_default():
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = (INFRA / "compose" / "env.example").read_text().splitlines()
    documented = {}
    for index, line in enumerate(example):
        match = re.match(r"^(\w+)=", line)
        if match:  # a comment right above it, or above the block of variables it belongs to
            above = index - 1
            while above >= 0 and re.match(r"^\w+=", example[above]):
                above -= 1
            documented[match[1]] = above >= 0 and example[above].startswith("#")
    assert used <= set(documented), f"undocumented: {sorted(used - set(documented))}"
    assert all(documented[name] for name in used), "each variable has a comment above it"
    for secret in ("SECRET_KEY", "YIMEN_ARCHIVE_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required, never defaulted"
        assert re.search(rf"^{secret}=$", "\n".join(example), re.M), f"{secret} is empty in the example"


def test_proxy_routes_every_point_host_to_web_over_https():
    template = (INFRA / "compose" / "nginx.conf.template").read_text()
    assert template.count("server_name ${BASE_DOMAIN} *.${BASE_DOMAIN};") == 2  # http redirect + https
    assert "return 301 https://$host$request_uri;" in template
    assert "proxy_pass http://web:8000;" in template
    assert "proxy_set_header Host $host;" in template
    # The header the production settings trust for HTTPS is the one the proxy sets.
    settings_text = (ROOT / "platform" / "yimen" / "settings" / "production.py").read_text()
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in settings_text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in template
    assert "return 444;" in template, "unknown hosts get nothing"


def test_proxy_limits_search_per_client_address_and_the_app_sees_that_address():
    """Anonymous search writes the search log: nginx has a budget per client
    address for it, looser than the app's own (search.limits), so that a
    citizen meets the app's 429 in Chinese and only a flood meets nginx's."""
    template = (INFRA / "compose" / "nginx.conf.template").read_text()
    zone = re.search(r"^limit_req_zone \$binary_remote_addr zone=(\w+):\d+m rate=(\d+)r/s;", template, re.M)
    assert zone, "a limit_req_zone keyed by the client address"
    block = re.search(r"location ~ \^/\(api/search\|search/\) \{(.*?)\}", template, re.S)
    assert block, "a location for /api/search… and /search/…"
    assert f"limit_req zone={zone[1]} " in block[1] and "limit_req_status 429;" in block[1]
    assert "proxy_pass http://web:8000;" in block[1]
    assert int(zone[2]) * 60 >= 120 + 300 + 120, "looser than the app's default budgets together"
    # The app reads the client from the one X-Forwarded-For entry nginx (or the ingress) appends.
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in template
    compose = yaml.safe_load((INFRA / "compose" / "compose.yaml").read_text())
    assert compose["x-app"]["environment"]["YIMEN_TRUSTED_PROXIES"] == "1"
    config = next(d for d in yaml.safe_load_all((K8S / "config.yaml").read_text()) if d)
    assert config["data"]["YIMEN_TRUSTED_PROXIES"] == "1"


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (Debian package nginx)")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    rendered = (INFRA / "compose" / "nginx.conf.template").read_text().replace("${BASE_DOMAIN}", "zwfw.example.gov.cn")
    rendered = rendered.replace("/etc/nginx/certs/", f"{tmp_path}/").replace("http://web:8000", "http://127.0.0.1:8000")
    rendered = rendered.replace("/var/cache/nginx/", f"{tmp_path}/")  # the page micro-cache's directory
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=zwfw.example.gov.cn", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid; error_log stderr; events {{}} http {{ access_log off; "
                    f"client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; {rendered} }}")
    result = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Kubernetes ----------------------------------------------------------------

def _k8s_documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = [*kustomization["resources"], "migrate-job.yaml"]
    return [doc for name in files for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def _by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in _k8s_documents() if d["kind"] == kind}


def test_every_workload_has_requests_limits_and_runs_unprivileged():
    uid = int(re.search(r"ARG UID=(\d+)", DOCKERFILE.read_text()).group(1))
    workloads = {**_by_kind("Deployment"), **_by_kind("Job")}
    assert set(workloads) == {"yimen-web", "yimen-worker", "yimen-beat", "yimen-migrate"}
    for name, workload in workloads.items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == uid, name
        for container in pod["containers"]:
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            # Secrets only from the Secret object, never as literal values here.
            assert not [e for e in container.get("env", []) if e["name"] in SECRET_NAMES and "value" in e]
            assert {"secretRef": {"name": "yimen-secrets"}} in container["envFrom"]


def test_deployments_have_liveness_and_readiness_probes():
    deployments = _by_kind("Deployment")
    for name, deployment in deployments.items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, name
    web = deployments["yimen-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["ports"][0]["containerPort"] == 8000
    beat = deployments["yimen-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate", "never two beats"


def test_web_and_workers_scale_horizontally():
    targets = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in _by_kind("HorizontalPodAutoscaler").values()}
    assert set(targets) == {"yimen-web", "yimen-worker"}
    deployments = _by_kind("Deployment")
    for name, spec in targets.items():
        assert name in deployments and spec["maxReplicas"] > spec["minReplicas"] >= 2


def test_migration_job_runs_deploy_points_before_the_rollout():
    job = _by_kind("Job")["yimen-migrate"]["spec"]
    container = job["template"]["spec"]["containers"][0]
    assert container["args"] == ["manage", "deploy_points"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    script = (K8S / "deploy.sh").read_text()
    assert subprocess.run(["sh", "-n", str(K8S / "deploy.sh")]).returncode == 0
    # The job is created and waited for before the new image is applied.
    assert script.index("migrate-job.yaml") < script.index("*Complete*) break") < script.index("kubectl kustomize")
    assert "migrate-job.yaml" not in (K8S / "kustomization.yaml").read_text()


def test_secrets_come_from_the_environment_and_cover_what_production_requires():
    settings_text = (ROOT / "platform" / "yimen" / "settings" / "production.py").read_text()
    required = set(re.findall(r'env\.require\("(\w+)"\)', settings_text))
    script = (K8S / "deploy.sh").read_text()
    from_env = set(re.findall(r"--from-literal=(\w+)=", script))
    config = _by_kind("ConfigMap")["yimen-config"]["data"]
    assert required <= from_env | set(config), f"missing: {required - from_env - set(config)}"
    assert not (set(config) & SECRET_NAMES), "no secret in the ConfigMap"
    for name in from_env:
        assert f'"${name}"' in script or f"${{{name}" in script, f"{name} comes from the environment"


def test_ingress_routes_the_wildcard_domain_with_tls():
    ingress = _by_kind("Ingress")["yimen"]["spec"]
    hosts = [rule["host"] for rule in ingress["rules"]]
    assert hosts == ["zwfw.example.gov.cn", "*.zwfw.example.gov.cn"]
    assert set(ingress["tls"][0]["hosts"]) == set(hosts)
    for rule in ingress["rules"]:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == "yimen-web"
    assert "yimen-web" in _by_kind("Service")


def test_only_the_ingress_controller_and_prometheus_reach_web():
    """A NetworkPolicy rule without `from` admits every pod of the cluster."""
    policies = _by_kind("NetworkPolicy")
    assert "networkpolicy.yaml" in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    web_labels = _by_kind("Deployment")["yimen-web"]["spec"]["template"]["metadata"]["labels"]
    allowed: set[tuple[str, str]] = set()
    for name, policy in policies.items():
        selected = policy["spec"]["podSelector"]["matchLabels"]
        assert "Ingress" in policy["spec"]["policyTypes"], name
        rules = policy["spec"].get("ingress", [])
        if not selected.items() <= web_labels.items():
            assert rules == [], f"{name}: only web accepts connections"
            continue
        for rule in rules:
            assert rule.get("from"), f"{name}: a rule without peers admits every pod"
            assert rule["ports"] == [{"port": 8000, "protocol": "TCP"}], name
            for peer in rule["from"]:
                # Both selectors in one peer (AND); no address blocks.
                assert set(peer) == {"namespaceSelector", "podSelector"}, peer
                namespace = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                allowed.add((namespace, peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]))
    assert allowed == {("ingress-nginx", "ingress-nginx"), ("monitoring", "prometheus")}
    assert _by_kind("Ingress")["yimen"]["spec"]["ingressClassName"] == "nginx"


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kustomize_renders_the_manifests():
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rendered = list(yaml.safe_load_all(result.stdout))
    assert {d["kind"] for d in rendered} >= {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    images = {c["image"] for d in rendered if d["kind"] == "Deployment"
              for c in d["spec"]["template"]["spec"]["containers"]}
    assert images == {"registry.example.cn/yimen/yimen:0.1.0"}

"""terraform/ checked without network or cloud credentials: every file parses
(python-hcl2), every variable and output is documented and typed, every module
call passes what the module needs, no secret is written in the code, and the
policy scanner (checkov) finds nothing that is not waived with a reason.

checkov is installed into a venv of its own and run in the background
(tests/policy_scan.py)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.conftest import ROOT
from tests.policy_scan import scans

TERRAFORM = ROOT / "terraform"
TF_FILES = sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if p.is_dir())
ENVS = sorted(p for p in (TERRAFORM / "envs").iterdir() if p.is_dir())
SECRET_WORDS = ("password", "secret", "private_key", "_pem", "dsn", "database_url", "broker_url", "cache_url",
                "elasticsearch_url", "access_key")


def unq(value):
    """python-hcl2 keeps the quotes of names and string literals."""
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def blocks(folder: Path, kind: str) -> dict[str, dict]:
    """Every `kind` block (variable, output, module) of a folder, by name."""
    found = {}
    for path in sorted(folder.glob("*.tf")):
        for block in load(path).get(kind, []):
            for name, body in block.items():
                found[unq(name)] = body
    return found


def resources(folder: Path) -> list[tuple[str, str, dict]]:
    found = []
    for path in sorted(folder.glob("*.tf")):
        for block in load(path).get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    found.append((unq(kind), unq(name), body))
    return found


def test_every_file_parses():
    assert len(TF_FILES) >= 30 and ENVS, "modules and at least one environment"
    for path in TF_FILES:
        try:
            load(path)
        except Exception as exc:  # the parser's own error, with the file named
            pytest.fail(f"{path.relative_to(ROOT)} does not parse: {exc}")


@pytest.mark.parametrize("folder", MODULES + ENVS, ids=lambda p: p.name)
def test_every_variable_and_output_is_documented_and_typed(folder):
    variables = blocks(folder, "variable")
    assert variables or folder.name in {"app"}, f"{folder.name} has variables"
    for name, body in variables.items():
        assert len(unq(body.get("description", ""))) >= 10, f"{folder.name}: variable {name} has no description"
        assert "type" in body, f"{folder.name}: variable {name} has no type"
        if any(word in name for word in SECRET_WORDS):
            assert body.get("sensitive") is True, f"{folder.name}: variable {name} must be sensitive"
            assert unq(body.get("default", "")) == "", f"{folder.name}: secret {name} has a default"
    for name, body in blocks(folder, "output").items():
        assert len(unq(body.get("description", ""))) >= 10, f"{folder.name}: output {name} has no description"
        if any(word in name for word in SECRET_WORDS) or "random_password" in str(body.get("value")):
            assert body.get("sensitive") is True, f"{folder.name}: output {name} must be sensitive"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_every_module_call_passes_what_the_module_needs(env):
    """What `terraform validate` would say about module arguments, without providers."""
    for name, call in blocks(env, "module").items():
        source = (env / unq(call["source"])).resolve()
        assert source.is_dir(), f"module {name}: {source} is missing"
        wanted = blocks(source, "variable")
        given = {k for k in call if k not in {"source", "__is_block__", "depends_on", "providers"}}
        required = {v for v, body in wanted.items() if "default" not in body}
        assert required <= given, f"module {name} lacks {sorted(required - given)}"
        assert given <= set(wanted), f"module {name} gets unknown {sorted(given - set(wanted))}"
        outputs = blocks(source, "output")
        env_text = (env / "main.tf").read_text() + (env / "outputs.tf").read_text()
        for ref in re.findall(rf"module\.{name}\.(\w+)", env_text):
            assert ref in outputs, f"module.{name}.{ref} is not an output of {source.name}"


def test_no_secret_is_written_in_the_code():
    for path in [*TF_FILES, *TERRAFORM.rglob("*.example")]:
        text = path.read_text()
        assert "-----BEGIN" not in text, path
        assert not re.search(r"\bLTAI[0-9A-Za-z]{12,}", text), f"{path}: an Alibaba Cloud access key id"
        for match in re.finditer(r"(\w*(?:password|secret|access_key)\w*)\s*=\s*\"([^\"$]+)\"", text, re.I):
            pytest.fail(f"{path.relative_to(ROOT)}: {match[1]} is set to a literal")
    ignored = (TERRAFORM / ".gitignore").read_text()
    for pattern in ("*.tfstate", "terraform.tfvars", "backend.hcl"):
        assert pattern in ignored


def test_the_app_is_rolled_out_only_after_migrations_with_probes_and_limits():
    app = {(kind, name): body for kind, name, body in resources(TERRAFORM / "modules" / "app")}
    job = app[("kubernetes_job_v1", "migrate")]
    assert job["wait_for_completion"] is True
    job_container = job["spec"][0]["template"][0]["spec"][0]["container"][0]
    assert [unq(a) for a in job_container["args"]] == ["manage", "deploy_points"]
    deployments = app[("kubernetes_deployment_v1", "process")]
    assert "kubernetes_job_v1.migrate" in str(deployments["depends_on"])
    container = deployments["spec"][0]["template"][0]["spec"][0]["container"][0]
    assert "liveness_probe" in container and "readiness_probe" in container
    resources_block = container["resources"][0]
    assert {"requests", "limits"} <= set(resources_block)
    text = (TERRAFORM / "modules" / "app" / "main.tf").read_text()
    for key in ("web", "worker", "beat"):
        assert re.search(rf"^\s+{key} = \{{", text, re.M), f"process {key}"
    hpa = app[("kubernetes_horizontal_pod_autoscaler_v2", "scaled")]
    assert "'web'" in str(hpa["for_each"]) and "'worker'" in str(hpa["for_each"]), hpa["for_each"]
    ingress = app[("kubernetes_ingress_v1", "yimen")]
    assert "*.${var.base_domain}" in str(ingress)


@pytest.mark.skipif(not shutil.which("terraform"), reason="terraform is not installed")
def test_terraform_fmt_is_clean():
    result = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- policy scan ------------------------------------------------------------------

@pytest.fixture
def policy_reports() -> dict[str, list[dict]]:
    """checkov's reports of terraform/ and of infra/ (tests/policy_scan.py), by scan name."""
    return scans.result()


def _failures_and_skips(reports: list[dict]) -> tuple[list[str], list[dict]]:
    failed, skipped = [], []
    for report in reports:
        results = report.get("results", {})
        failed += [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in results.get("failed_checks", [])]
        skipped += results.get("skipped_checks", [])
    return failed, skipped


@pytest.mark.prepare(scans)
def test_policy_scan_of_terraform_passes_or_waives_with_reasons(policy_reports):
    reports = policy_reports["terraform"]
    failed, skipped = _failures_and_skips(reports)
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    assert passed >= 30, "the scanner really checked the modules"
    assert failed == [], "\n".join(failed)
    for skip in skipped:
        reason = skip.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) >= 20, f"{skip['check_id']} waived without a reason"


@pytest.mark.prepare(scans)
def test_policy_scan_of_the_image_and_manifests_passes_or_waives_with_reasons(policy_reports):
    reports = policy_reports["infra"]
    failed, skipped = _failures_and_skips(reports)
    checked = {r.get("check_type") for r in reports}
    assert {"kubernetes", "dockerfile"} <= checked
    assert failed == [], "\n".join(failed)
    for skip in skipped:
        reason = skip.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) >= 20, f"{skip['check_id']} waived without a reason"



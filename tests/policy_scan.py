"""The policy scanner (checkov) for tests/test_terraform.py, installed and run
in the background from the moment the run knows a test wants its reports.

checkov has many dependencies of its own, so it lives in a venv of its own,
`.cache/tools-venv`, made on first use (version pinned in pyproject.toml,
[tool.yimen] checkov_version). On a fresh clone the install and the two scans
take minutes of mostly waiting and one core: they go on beside the other
tests instead of in front of them (conftest starts them at collection).
"""
from __future__ import annotations

import json
import os
import subprocess
import tomllib
import venv
from pathlib import Path

from tests.background import Background

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".cache" / "tools-venv"
# What each test scans: a folder and checkov's frameworks for it.
SCANS = {
    "terraform": (ROOT / "terraform", ["terraform"]),
    "infra": (ROOT / "infra", ["kubernetes", "dockerfile"]),
}


def install() -> Path:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["yimen"]["checkov_version"]
    binary = TOOLS / "bin" / "checkov"
    stamp = TOOLS / ".yimen-checkov"
    if not (binary.exists() and stamp.exists() and stamp.read_text() == version):
        print(f"[yimen] 安装 checkov {version} 到 {TOOLS.relative_to(ROOT)} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                        "-q", "--no-compile", f"checkov=={version}"], check=True)
        stamp.write_text(version)
    return binary


def install_and_scan() -> dict[str, list[dict]]:
    """Both scans at once (each is one process on one core), reports by scan name."""
    checkov = install()
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
           "LOG_LEVEL": "WARNING"}
    running = {
        name: subprocess.Popen(
            [str(checkov), "-d", str(directory), "--framework", *frameworks, "--skip-download", "--quiet",
             "--compact", "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for name, (directory, frameworks) in SCANS.items()
    }
    reports = {}
    for name, process in running.items():
        try:
            stdout, stderr = process.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            for other in running.values():
                other.kill()
            raise
        assert stdout.strip(), f"checkov {name}: {stderr[-2000:]}"
        found = json.loads(stdout)
        reports[name] = found if isinstance(found, list) else [found]
    return reports


scans = Background(install_and_scan)

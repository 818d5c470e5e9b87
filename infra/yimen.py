#!/usr/bin/env python3
"""Yimen's one entry point on a fresh machine: `demo`, `test`, `bench`, `manage`.

Standard library only, because it runs before anything is installed. It
creates `.venv/` in the repo, installs the pinned packages from pyproject.toml
(again only when that file changes), then re-runs itself inside the venv and
hands over to `infra/local/commands.py`, which starts the embedded servers.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".yimen-deps"


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    return project["dependencies"] + [r for group in extras.values() for r in group]


def _source_roots() -> None:
    """The venv's Python finds the repo's packages (`tenants`, `cms`, `search`)
    and those under the source root `platform/` (`standards`, `ops`, `yimen`)
    without PYTHONPATH, so tools run from the venv as they are (`lint-imports`,
    `mypy`, `python -m …`) see the same packages the app does."""
    site = next(VENV.glob("lib/python3*/site-packages"), None)
    if site is not None:
        (site / "yimen-source-roots.pth").write_text(f"{ROOT}\n{ROOT / 'platform'}\n")


def ensure_venv() -> None:
    requirements = _requirements()
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        _source_roots()
        return
    if not VENV_PYTHON.exists():
        print(f"[yimen] 创建虚拟环境 {VENV.relative_to(ROOT)} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(f"[yimen] 安装 {len(requirements)} 个依赖包（只在 pyproject.toml 变化时进行）…", flush=True)
    # --no-compile: pip would byte-compile all ~8,000 modules it installs (half
    # a minute of one core); Python compiles and caches the ones it imports.
    subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check",
         "--progress-bar", "on", "--no-compile", *requirements],
        check=True,
    )
    _source_roots()
    STAMP.write_text(digest)


def main() -> int:
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_venv()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.path[:0] = [str(ROOT), str(ROOT / "platform"), str(ROOT / "infra")]
    from local.commands import run  # noqa: E402  (needs the venv's packages)

    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

"""The import contract of docs/architecture.md: dependencies run one way, and
no import hidden inside a function gets around it."""
from __future__ import annotations

import ast
import shutil

import pytest

from tests.background import command
from tests.conftest import ROOT, child_env

APPS = {"accounts", "tenants", "standards", "powers", "cases", "cms", "search", "ops", "yimen"}
SOURCES = [ROOT / "tenants", ROOT / "cms", ROOT / "search", *(ROOT / "platform").iterdir()]
# Where a function-level import of another app is the only way, and why:
# - AppConfig.ready() connects hooks: models and signals exist only then;
# - ops.hosts and ops.metrics are imported by settings or at
#   start-up, before the app registry is ready, and reach models when called.
ALLOWED = {"apps.py", "ops/hosts.py", "ops/metrics.py"}


LINT = shutil.which("lint-imports", path=str(ROOT / ".venv" / "bin")) or shutil.which("lint-imports")
# As anyone runs it from the repo: no PYTHONPATH, the venv knows the source
# roots (infra/yimen.py writes them into it). In the background from the start
# of the run: it imports every module of the project.
lint_imports = command(LINT or "lint-imports", "--no-cache", cwd=ROOT,
                       env={k: v for k, v in child_env().items() if k != "PYTHONPATH"})


@pytest.mark.prepare(lint_imports)
def test_imports_keep_the_layers():
    assert LINT, "import-linter is installed with the test dependencies"
    result = lint_imports.result()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _function_imports_of_other_apps(path) -> list[str]:
    own = path.relative_to(ROOT).parts
    own_app = own[1] if own[0] == "platform" else own[0]
    found = []
    tree = ast.parse(path.read_text("utf-8"))
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != own_app:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name} inside {function.name}()")
    return found


def test_no_import_of_another_app_hides_inside_a_function():
    offenders = []
    for source in SOURCES:
        if not source.is_dir():
            continue
        for path in source.rglob("*.py"):
            relative = "/".join(path.relative_to(ROOT).parts[-2:])
            if "migrations" in path.parts or path.name == "apps.py" \
                    or relative in ALLOWED:
                continue
            offenders += _function_imports_of_other_apps(path)
    assert not offenders, "\n".join(offenders)

"""Project checks a developer would otherwise meet in production: Django's
system checks, migrations that match the models, lint and type checks."""
import os
import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.background import command
from tests.conftest import ROOT


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_every_model_change_has_its_migration():
    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    except SystemExit as exc:
        pytest.fail(f"models changed without a migration (makemigrations --check exited {exc.code})")


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    assert ruff, "ruff is installed with the test dependencies"
    # The whole repo (search/ was left out before): every package is linted.
    result = subprocess.run([ruff, "check", "."],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# The packages type-checked with mypy and django-stubs ([tool.mypy] in pyproject.toml).
TYPE_CHECKED = ["tenants", "platform/accounts", "platform/standards", "platform/powers", "platform/cases",
                "platform/online", "platform/stats", "platform/supervision", "cms", "search", "platform/ops"]
# Incremental: the cache in .cache/mypy makes a run after a small change take
# seconds; a first run (fresh checkout, CI) checks everything (~1 min), so it
# runs in the background from the start of the test run.
# The django-stubs plugin loads the settings, which need a database URL but never connect.
mypy = command(sys.executable, "-m", "mypy", *TYPE_CHECKED, cwd=ROOT,
               env={**os.environ, "PYTHONPATH": os.pathsep.join([".", "platform"]),
                    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://mypy@127.0.0.1:1/mypy")})


@pytest.mark.prepare(mypy)
def test_mypy_finds_nothing():
    result = mypy.result()
    assert result.returncode == 0, result.stdout + result.stderr


def test_platform_is_not_a_package():
    """platform/ is a source root; a platform package would shadow the standard library."""
    assert not (ROOT / "platform" / "__init__.py").exists()
    import os
    import platform
    from pathlib import Path

    assert Path(platform.__file__).parent == Path(os.__file__).parent  # the standard library's
    assert platform.python_version().startswith(f"{sys.version_info.major}.")

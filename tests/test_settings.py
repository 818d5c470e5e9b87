"""Production settings refuse to start on a missing secret or host list."""
import subprocess
import sys

from tests.conftest import ROOT, child_env


def _load_production(**env):
    base = {k: v for k, v in child_env().items() if k not in {"SECRET_KEY", "BASE_DOMAIN", "YIMEN_ARCHIVE_KEY"}}
    base.update(env, DJANGO_SETTINGS_MODULE="yimen.settings.production")
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                          env=base, cwd=ROOT, capture_output=True, text=True)


def test_production_refuses_a_missing_secret():
    result = _load_production(BASE_DOMAIN="zwfw.example.gov.cn")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "未设置" in result.stderr


def test_production_refuses_a_missing_domain():
    result = _load_production(SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "BASE_DOMAIN" in result.stderr


def test_production_refuses_a_missing_archive_key():
    result = _load_production(SECRET_KEY="x" * 50, BASE_DOMAIN="zwfw.example.gov.cn")
    assert result.returncode != 0
    assert "YIMEN_ARCHIVE_KEY" in result.stderr


def test_production_starts_with_what_it_needs():
    result = _load_production(SECRET_KEY="k" * 50, BASE_DOMAIN="zwfw.example.gov.cn", YIMEN_ARCHIVE_KEY="a" * 50)
    assert result.returncode == 0, result.stderr

"""load_demo_network makes accounts (central admins among them) whose password
is printed in the README: it runs only with the demo's settings."""
from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from tenants.demo import DEMO_LOGINS, ensure_demo_settings
from tenants.models import ServicePoint
from tests.conftest import ROOT, child_env

REFUSAL = "演示网络只能在演示环境中建立"


def _state():
    User = get_user_model()
    return (ServicePoint.objects.count(), User.objects.count(),
            User.objects.filter(username__in=[login[0] for login in DEMO_LOGINS]).exists())


def test_load_demo_network_refuses_outside_the_demo_and_creates_nothing():
    before = _state()
    assert before[2] is False
    # The command as an operator runs it against these (non-demo) settings.
    result = subprocess.run([sys.executable, "manage.py", "load_demo_network"], env=child_env(), cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert REFUSAL in result.stderr and "python3 infra/yimen.py demo" in result.stderr
    # DEBUG alone, or the demo flag alone (production forces DEBUG off), is not the demo.
    for debug, demo in ((True, False), (False, True)):
        with override_settings(DEBUG=debug, YIMEN_DEMO=demo), pytest.raises(CommandError, match=REFUSAL):
            call_command("load_demo_network")
    assert _state() == before
    with override_settings(DEBUG=True, YIMEN_DEMO=True):
        ensure_demo_settings()  # what `python3 infra/yimen.py demo` sets


def test_the_demo_launcher_runs_it_with_the_demo_settings():
    """`python3 infra/yimen.py demo` still loads its network (DEBUG and the flag set first)."""
    source = (ROOT / "infra" / "local" / "commands.py").read_text()
    demo = source[source.index("def demo("):source.index("def ensure_chromium")]
    loads = demo.index('manage(env, "load_demo_network")')
    assert demo.index('env["DEBUG"] = "1"') < loads and demo.index('env["YIMEN_DEMO"] = "1"') < loads

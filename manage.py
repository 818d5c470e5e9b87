#!/usr/bin/env python
"""Django's command line. `platform/` is a source root (never a package named
`platform`, which would shadow the standard library), so we put it on the path."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

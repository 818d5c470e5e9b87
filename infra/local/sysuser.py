"""Run servers that refuse root (PostgreSQL, Elasticsearch) as an unprivileged user.

CI runs as root. When we are root we create a system user `yimen-svc` (once)
and hand it the server's data folder; otherwise the servers run as whoever we are.
"""
from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path

SERVICE_USER = "yimen-svc"


def service_user() -> pwd.struct_passwd | None:
    """The account servers run as, or None to run them as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def ensure_traversable(path: Path) -> None:
    """Let the service user reach `path`: add search permission (o+x, never
    read) to any folder above it that lacks it, e.g. a clone under /root."""
    if service_user() is None:
        return
    for folder in reversed(path.resolve().parents):
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            print(f"[yimen] 为服务用户 {SERVICE_USER} 开放目录通行权限（o+x）：{folder}", flush=True)
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def give_to_service_user(path: Path) -> None:
    """Make `path` (recursively) owned by the service user, when there is one."""
    user = service_user()
    path.mkdir(parents=True, exist_ok=True)
    if user is None:
        return
    ensure_traversable(path)
    for dirpath, _dirnames, filenames in os.walk(path):
        os.chown(dirpath, user.pw_uid, user.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), user.pw_uid, user.pw_gid, follow_symlinks=False)


def run_as_kwargs() -> dict:
    """Keyword arguments for subprocess that drop to the service user."""
    user = service_user()
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

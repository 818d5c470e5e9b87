"""A local single-node Elasticsearch for integration tests (and, optionally, the demo).

Elastic publishes a small "integ-test-zip" distribution to Maven Central, so we
fetch it with the Maven that is already installed (no extra download host),
unpack it once into a git-ignored cache folder and run it in the foreground,
bound to loopback with security off. That zip has no bundled JDK and only the
core modules (no analysis-common, ingest-geoip, painless, rest-root…): enough
for the standard analyzer, nothing more. Without rest-root even `GET /` answers
405, so check liveness with /_cluster/health, not the client's info()/ping().

Only the standard library is used here, so this works before Django is loaded.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

from .sysuser import give_to_service_user, run_as_kwargs, service_user

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch"


def elasticsearch_version() -> str:
    """The version pinned in pyproject.toml, [tool.yimen] elasticsearch_version."""
    with open(REPO_ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["yimen"]["elasticsearch_version"]


class LocalElasticsearch:
    def __init__(self, cache_dir: Path, data_dir: Path, port: int):
        self.cache_dir = Path(cache_dir)
        self.data_dir = Path(data_dir)
        self.port = port
        self.version = elasticsearch_version()
        self.home = self.cache_dir / f"elasticsearch-{self.version}"
        # Console output of the node; the first thing to read when it will not start.
        self.log = self.data_dir / "elasticsearch.out.log"
        self.process: subprocess.Popen | None = None

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- download -----------------------------------------------------------

    def ensure_installed(self) -> Path:
        """Download (through Maven) and unpack the distribution, once. The test
        command's two shards may both ask at once on a fresh clone: the second
        waits for the first's lock and then finds it installed."""
        if (self.home / "bin" / "elasticsearch").exists():
            return self.home
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with open(self.cache_dir / ".install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (self.home / "bin" / "elasticsearch").exists():
                return self.home
            return self._install()

    def _install(self) -> Path:
        archive = self.cache_dir / f"elasticsearch-{self.version}.zip"
        if not archive.exists():
            print(f"[yimen] 下载 Elasticsearch {self.version}（Maven，约 100 MB）…", flush=True)
            self._download(archive)
        print(f"[yimen] 解压 Elasticsearch 到 {self.home} …", flush=True)
        # Unpack beside the target and rename at the end, so an interrupted
        # unzip is never mistaken for a finished one.
        partial = self.cache_dir / f".unpacking-{self.version}"
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                target = Path(zf.extract(info, partial))
                # zipfile drops Unix permissions; bin/* must stay executable.
                mode = info.external_attr >> 16
                if mode and not stat.S_ISDIR(mode):
                    os.chmod(target, stat.S_IMODE(mode))
        shutil.rmtree(self.home, ignore_errors=True)
        (partial / self.home.name).rename(self.home)
        shutil.rmtree(partial, ignore_errors=True)
        return self.home

    def _download(self, archive: Path) -> None:
        coords = f"{ARTIFACT}:{self.version}:zip"
        if shutil.which("mvn") is None:
            raise RuntimeError("找不到 mvn / Maven not found: it fetches the Elasticsearch zip")
        # Run Maven inside the cache folder: there is no pom.xml there, so the
        # dependency plugin runs as a stand-alone goal. Output is captured (even
        # -q prints stray colour codes) and shown only on failure.
        mvn = ["mvn", "-B", "-q"]
        run = dict(cwd=self.cache_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        copy = subprocess.run(
            [*mvn, "dependency:copy", f"-Dartifact={coords}",
             f"-DoutputDirectory={self.cache_dir}"], **run)
        if copy.returncode == 0 and archive.exists():
            return
        # Fallback: resolve into the local Maven repository and copy it from there.
        get = subprocess.run(
            [*mvn, "dependency:get", f"-Dartifact={coords}", "-Dtransitive=false"], **run)
        if get.returncode != 0:
            raise RuntimeError(f"Maven 下载 Elasticsearch 失败 / Maven could not fetch {coords}:\n"
                               f"{copy.stdout[-3000:]}\n{get.stdout[-3000:]}")
        local = (Path.home() / ".m2" / "repository" / ARTIFACT.split(":")[0].replace(".", "/")
                 / "elasticsearch" / self.version / f"elasticsearch-{self.version}.zip")
        shutil.copyfile(local, archive)

    # -- run ----------------------------------------------------------------

    def start(self, timeout: float = 180) -> None:
        if self.running():
            return  # a node (ours from before, or the demo's) already serves this port
        home = self.ensure_installed()
        data, logs, tmp = self.data_dir / "data", self.data_dir / "logs", self.data_dir / "tmp"
        for folder in (data, logs, tmp):
            folder.mkdir(parents=True, exist_ok=True)
        # Each node reads a copy of the distribution's config folder of its own:
        # ES writes its keystore there on start, and two nodes starting at once
        # from one folder (the test command's two shards) collided on that file.
        config = self.data_dir / "config"
        shutil.rmtree(config, ignore_errors=True)
        shutil.copytree(home / "config", config)
        # ES refuses to run as root: the service user gets the unpacked
        # distribution and the data folder (with the config copy).
        give_to_service_user(home)
        give_to_service_user(self.data_dir)
        _check_reachable(home, self.data_dir)

        settings = {
            "cluster.name": "yimen-local",
            "node.name": "yimen-local",
            # Loopback only; this also turns the production bootstrap checks
            # (vm.max_map_count, file descriptors) into mere warnings.
            "network.host": "127.0.0.1",
            "http.port": str(self.port),
            "transport.port": str(_free_port(self.port + 100)),
            "discovery.type": "single-node",
            "xpack.security.enabled": "false",  # plain http, no generated certificates/passwords
            "path.data": str(data),
            "path.logs": str(logs),
            # Disks on CI and laptops are often >90 % full; without this the
            # watermarks make every new index read-only or unassigned.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.destructive_requires_name": "false",  # tests delete indices with wildcards
        }
        # Settings of modules that are absent in the integ-test zip are rejected
        # as "unknown setting", so only pass them when the module is there.
        if (home / "modules" / "ingest-geoip").exists():
            settings["ingest.geoip.downloader.enabled"] = "false"  # no call to the GeoIP service
        if (home / "modules" / "x-pack-ml").exists():
            settings["xpack.ml.enabled"] = "false"

        env = dict(os.environ)
        env["ES_JAVA_HOME"] = env.get("ES_JAVA_HOME") or _java_home()
        env["JAVA_HOME"] = env["ES_JAVA_HOME"]
        env["ES_JAVA_OPTS"] = "-Xms512m -Xmx512m"
        env["ES_TMPDIR"] = str(tmp)  # otherwise a fresh folder under /tmp on every start
        env["ES_PATH_CONF"] = str(config)
        user = service_user()
        if user:
            env["HOME"] = str(self.data_dir)  # the service user has no home of its own

        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [str(home / "bin" / "elasticsearch"), *(f"-E{k}={v}" for k, v in settings.items())],
                # jvm.options writes gc.log and heap dumps relative to the working directory.
                cwd=logs, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                # Own session: Ctrl-C in the terminal does not hit it, and stop()
                # can signal the launcher and the server JVM together.
                start_new_session=True, **run_as_kwargs(),
            )
        print(f"[yimen] 启动 Elasticsearch {self.version}，端口 {self.port} …", flush=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise RuntimeError(
                    f"Elasticsearch 启动失败（退出码 {code}）/ Elasticsearch exited with code {code}.\n"
                    f"日志 / log {self.log}:\n{self._log_tail()}")
            if self._health(wait=True):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"Elasticsearch 在 {timeout:.0f} 秒内未就绪 / not ready after {timeout:.0f}s.\n"
                    f"日志 / log {self.log}:\n{self._log_tail()}")
            time.sleep(1)

    def running(self) -> bool:
        return self._health(wait=False) is not None

    def stop(self) -> None:
        """Stop the node we started (a node we merely reused is left alone)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGTERM to the whole session: the CLI launcher forwards it to the
        # server JVM, which flushes and exits; the group signal covers the case
        # where the launcher is already gone.
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        # The server JVM is a child of the launcher; give it a moment to
        # release the port after the launcher has exited.
        deadline = time.monotonic() + 30
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _port_open(self.port):
            _signal_group(process, signal.SIGKILL)

    # -- helpers ------------------------------------------------------------

    def _health(self, wait: bool) -> dict | None:
        query = "?wait_for_status=yellow&timeout=1s" if wait else ""
        try:
            with urllib.request.urlopen(f"{self.url()}/_cluster/health{query}", timeout=5) as r:
                return json.load(r)
        except (OSError, ValueError):
            # Not listening yet, or an HTTP error such as 408 (answered, but
            # not yellow within the 1s) or 503 (no master elected yet).
            return None

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(无日志 / no log)"
        # Drop Java stack frames so the "fatal exception … / Caused by:" lines
        # fit in the tail instead of being pushed out by netty frames.
        text = [line for line in text if not line.lstrip().startswith(("at ", "... "))]
        return "\n".join(text[-lines:])


def _java_home() -> str:
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("找不到 java / java not found: Elasticsearch 8 需要 Java 17+")
    return str(Path(java).resolve().parent.parent)  # …/jvm/java-17-openjdk-amd64/bin/java


def _check_reachable(*paths: Path) -> None:
    """Fail early (with a clear message) if the service user cannot reach a path.

    A typical trap is pytest's tmp_path: /tmp/pytest-of-root is mode 0700, so
    the service user cannot enter it even though it owns the folder inside.
    """
    user = service_user()
    if user is None:
        return
    for path in paths:
        for parent in path.resolve().parents:
            st = parent.stat()
            if st.st_uid != user.pw_uid and not st.st_mode & stat.S_IXOTH:
                raise RuntimeError(
                    f"服务用户 {user.pw_name} 无法进入 {parent}（权限 {stat.filemode(st.st_mode)}）/ "
                    f"service user cannot traverse {parent}; put {path} somewhere else")


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))  # let the OS choose
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # pgid == pid thanks to start_new_session
    except ProcessLookupError:
        pass


if __name__ == "__main__":  # python -m infra.local.elasticsearch [port]: run one by hand
    node = LocalElasticsearch(REPO_ROOT / ".cache" / "elasticsearch",
                              REPO_ROOT / ".data" / "elasticsearch",
                              int(sys.argv[1]) if len(sys.argv) > 1 else 9200)
    node.start()
    print(f"[yimen] Elasticsearch 就绪：{node.url()}（Ctrl-C 停止）", flush=True)
    try:
        while node.process and node.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()

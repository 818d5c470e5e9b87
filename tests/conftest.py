"""The suite runs against real servers started by `python3 infra/yimen.py test`:
PostgreSQL (a fresh database), Redis, a Celery worker started here, and
Elasticsearch and Chromium where a test asks for them.

Tests commit for real (workers and browsers must see the data) and keep out of
each other's way by giving every point they make a unique slug and region code.
"""
from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.background import Background

ROOT = Path(__file__).resolve().parent.parent
_county_numbers = itertools.count(1)
_admin_numbers = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "platform")])
    return env


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """Use the database the runner made; migrate public and build the template once."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("deploy_points", verbosity=0)
        load_catalogue()


def load_catalogue():
    """The demo catalogue (223 items), published once per run; points made
    afterwards adopt what their tier may accept. Tests that change a standard
    make their own item (`make_item`) and leave these alone."""
    from standards.demo import load_demo_catalogue

    load_demo_catalogue(progress=lambda line: None)


@pytest.fixture
def make_item():
    """Publish a fresh standard item of its own (unique code), returning its version,
    and adopt it at the points given: `make_item(adopt_at=[village], accept_tiers=[…], name="…")`.
    It is shared by the whole cell unless `owner=<a point>` gives it to that point's county
    (whose central admins may then edit it)."""
    from standards.demo import catalogue_records
    from standards.models import StandardItem
    from standards.services import publish_content

    base = catalogue_records()[0]

    def make(adopt_at=(), owner=None, **overrides):
        from django_tenants.utils import tenant_context

        from cms.adoption import adopt
        from standards import authority

        while True:
            code = f"YM-TST-{secrets.choice(['XK', 'QR', 'GG'])}-{secrets.randbelow(1000):03d}"
            if not StandardItem.objects.filter(code=code).exists():
                break
        record = {**base, "code": code, "name": f"测试事项{code[-3:]}", "aliases": [], **overrides}
        version, _ = publish_content(record, owner=authority.of_point(owner) if owner else authority.SHARED)
        for point in adopt_at:
            with tenant_context(point):
                adopt(point, [version])
        return version

    return make


@pytest.fixture(autouse=True)
def _db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield
    from django.db import connection

    connection.set_schema_to_public()


class Network:
    """A small county network made for one test: county, two townships, a village
    under each, and a park. Unique slugs and codes per test."""

    def __init__(self):
        from tenants.models import ServicePoint
        from tenants.onboarding import PointSpec, onboard_point

        n = next(_county_numbers)
        self.tag = f"t{n}x{secrets.token_hex(2)}"
        county_code = f"{600000 + n:06d}"
        while ServicePoint.objects.filter(region_code__startswith=county_code).exists():
            county_code = f"{secrets.randbelow(300000) + 600000:06d}"

        def make(slug, tier, region, parent=None, **extra):
            return onboard_point(PointSpec(
                name=f"测试{slug}", slug=f"{self.tag}-{slug}", tier=tier, region_code=region,
                parent_slug=f"{self.tag}-{parent}" if parent else None, address=f"{slug} 路 1 号",
                latitude=28.2, longitude=112.6, phone="0731-86200000", hours="周一至周五", **extra))

        self.make = make
        self.county = make("county", "county", county_code + "000000")
        self.township = make("town", "township", county_code + "101000", "county")
        self.other_township = make("town2", "township", county_code + "102000", "county")
        self.village = make("village", "village", county_code + "101201", "town")
        self.other_village = make("village2", "village", county_code + "102201", "town2")
        self.park = make("park", "park", county_code + "400000", "county")

    def points(self) -> list:
        return [self.county, self.township, self.other_township, self.village, self.other_village, self.park]

    def index(self) -> None:
        """Apply this network's search outbox here and now (tests of the Celery
        path wait for the worker instead); other tests' points are left alone."""
        from search.indexing import apply_changes

        for point in self.points():
            apply_changes(point.pk)

    def user(self, name: str, point, role: str, password: str = "pass-Word-2026"):
        from django.contrib.auth import get_user_model

        from tenants.roles import grant_role

        user = get_user_model().objects.create_user(f"{self.tag}-{name}", password=password)
        grant_role(user, point, role)
        return user


@pytest.fixture
def network():
    return Network()


@pytest.fixture(scope="module")
def shared_network(django_db_setup, django_db_blocker):
    """One network for every test of a module, made once (six onboardings)
    instead of once per test. A module opts in by overriding `network` with it,
    when each of its tests adds only users (of its own names), items and data of
    its own and changes nothing that another test of the module reads."""
    from django.db import connection

    with django_db_blocker.unblock():
        made = Network()
    connection.set_schema_to_public()
    return made


def host(point, port: int | None = None) -> str:
    return f"{point.primary_host}:{port}" if port else point.primary_host


@pytest.fixture
def client_at():
    """A Django test client speaking to one point's host (its own cookie jar)."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    class PointClient(Client):
        """`login` runs at the point, as a sign-in through its host would."""

        def __init__(self, point):
            super().__init__(HTTP_HOST=point.primary_host if point else "localhost")
            self.point = point

        def login(self, **credentials):
            with tenant_context(self.point):
                return super().login(**credentials)

        def force_login(self, user, backend=None):
            with tenant_context(self.point):
                return super().force_login(user, backend)

    return PointClient


@pytest.fixture
def admins(network, client_at):
    """Two central admins of the county, each signed in with their own client
    (numbered: a module's tests may share one network)."""
    n = next(_admin_numbers)
    alice = network.user(f"alice{n}", network.county, "central_admin")
    bob = network.user(f"bob{n}", network.county, "central_admin")
    a, b = client_at(network.county), client_at(network.county)
    a.force_login(alice)
    b.force_login(bob)
    return a, b, alice, bob


def _start_search_node():
    import tempfile

    from infra.local.elasticsearch import LocalElasticsearch

    # Not pytest's tmp_path: /tmp/pytest-of-root is mode 0700 and the node runs as the service user.
    data_dir = Path(tempfile.mkdtemp(prefix="yimen-es-search-"))
    port = int(os.environ.get("YIMEN_TEST_ES_PORT") or free_port())
    node = LocalElasticsearch(ROOT / ".cache" / "elasticsearch", data_dir, port)
    try:
        node.start()
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    return node


def _stop_search_node(node) -> None:
    node.stop()
    shutil.rmtree(node.data_dir, ignore_errors=True)


_search_node = Background(_start_search_node)


def pytest_configure(config):
    config.addinivalue_line("markers", "prepare(background): start this tests.background.Background "
                                       "when the run is collected; the test waits for its result")


# Modules whose work grows with what the suite has made before them, run
# first. pg_dump (a point's export, the template) reads the whole database
# catalog whatever schema it dumps, and Django's migrations introspect it: with
# the ~500 point schemas of a full run (175,000 pg_class rows), one pg_dump of
# one point took 2 minutes where it takes under a second on a fresh database.
# A full reindex rebuilds the documents of every point made so far.
SIZE_BOUND = ("test_onboarding.py", "test_point_archive.py", "test_deploy.py", "test_search_elasticsearch.py")


def pytest_collection_modifyitems(session, config, items):
    def first(item) -> int:
        name = item.path.name
        return SIZE_BOUND.index(name) if name in SIZE_BOUND else len(SIZE_BOUND)

    items.sort(key=first)  # stable: the order within and among the other modules stays


def pytest_collection_finish(session):
    """What takes long to get ready starts beside the first tests when a test of
    the run will use it: the Elasticsearch node (download and unpack on a fresh
    clone, then half a minute of JVM start) and what tests mark with
    `prepare` (checkov's install and scans, mypy, the import linter)."""
    for item in session.items:
        names = set(getattr(item, "fixturenames", ()))
        if "search_es" in names:
            _search_node.start()
        if "celery_worker" in names:
            session.config.stash[_WORKER_USED] = True
        if {"celery_worker", "search_es"} <= names:
            session.config.stash[_WORKER_WRITES_ES] = True
        for mark in item.iter_markers("prepare"):
            mark.args[0].start()


_WORKER_USED = pytest.StashKey[bool]()
# A test that asks for both the worker and the node reads what the worker writes there.
_WORKER_WRITES_ES = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _worker_before_points_pile_up(request):
    """In a run that uses the Celery worker, it starts with the first test after
    the size-bound modules, not with the first test that asks for it. The
    worker indexes every point the suite makes: started late, it first works
    through the documents of every point made before it, and a task a test
    sends waits behind them (test_celery's 60 s waits ran out that way in a
    shard whose first test with the worker came after most of its modules)."""
    if request.config.stash.get(_WORKER_USED, False) and request.node.path.name not in SIZE_BOUND:
        request.getfixturevalue("celery_worker")


def pytest_sessionfinish(session):
    """A node started for tests that never ran (a run stopped early) stops too."""
    if _search_node.started():
        try:
            _stop_search_node(_search_node.result())
        except Exception:  # it did not start: nothing to stop
            pass


@pytest.fixture(scope="session")
def search_es():
    """The run's one Elasticsearch node (its own data folder, gone afterwards).
    The Celery worker writes to it; in-process code uses it only where a test
    says so (`settings.ELASTICSEARCH_URL`), else search runs on PostgreSQL.
    Tests of the launcher and of readiness use it too instead of starting their own."""
    node = _search_node.result()
    yield node
    _stop_search_node(node)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, tmp_path_factory, request):
    """A real Celery worker and Celery beat (heartbeat every second, search
    outbox retried every second) on the test Redis broker, writing search
    documents to PostgreSQL, and to the run's Elasticsearch node in a run with
    a test that asks for both (the worker indexes every point the suite makes,
    223 documents each: in a run where no test reads them from the node, that
    work went for nothing)."""
    from yimen.celery import app

    env = {**child_env(), "YIMEN_HEARTBEAT_SECONDS": "1",
           "YIMEN_SEARCH_PENDING_SECONDS": "1",
           # Beat's sweep of undelivered case notices stays out of the way: the kill
           # test's own worker must be the one delivering its notices (each step's
           # commit still sends its delivery task to a worker at once).
           "YIMEN_NOTICES_SECONDS": "3600",
           # 电子监察's monitor writes into cases' chains: only tests that ask run it (on their county).
           "YIMEN_SUPERVISION_SECONDS": "86400",
           # The statistics rollup reads every event the suite writes: its tests run it themselves.
           "YIMEN_STATS_ROLLUP_SECONDS": "86400"}
    env.pop("ELASTICSEARCH_URL", None)
    if request.config.stash.get(_WORKER_WRITES_ES, False):
        # No refresh wait on these writes: tests that read Elasticsearch refresh first.
        env["ELASTICSEARCH_URL"] = request.getfixturevalue("search_es").url()
    schedule = tmp_path_factory.mktemp("beat") / "schedule"
    processes = [
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "yimen", "worker", "-l", "warning",
                          "--concurrency", "1", "-n", f"test-{os.getpid()}@%h"], env=env, cwd=ROOT),
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "yimen", "beat", "-l", "warning",
                          "-s", str(schedule)], env=env, cwd=ROOT),
    ]
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=1):
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            for p in processes:
                p.kill()
            raise RuntimeError("Celery worker did not start")
    yield app
    for p in processes:
        p.terminate()
    for p in processes:
        p.wait(30)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup):
    """The site served by a real server process (for the browser)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env={**child_env(), "DEBUG": "1"}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90  # a bound, not a wait: it answers within seconds when the machine is idle
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("web server did not start")
        time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(15)


@pytest.fixture(scope="session")
def browser(live_server_url):
    """The run's one headless Chromium (tests/browser.py); each test opens its
    own context (own cookie jar) with `browser.new_context()`."""
    from tests.browser import launch

    yield from launch(live_server_url)

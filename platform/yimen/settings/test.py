"""Settings for the test suite: the same real servers, their own database and ports."""
import os

from .base import *  # noqa: F401,F403
from .base import REPO

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# The test command runs two shards at once (infra/local/commands.py): each keeps its uploads apart.
_RUN = os.environ.get("YIMEN_TEST_RUN", "test")
MEDIA_ROOT = str(REPO / ".data" / f"{_RUN}-media")
PRIVATE_MEDIA_ROOT = str(REPO / ".data" / f"{_RUN}-private-media")
STORAGES = {**STORAGES, "applicant_files": {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": "/private-not-served/"}}}

# The suite's own clients (Django's test client, the browser via the live
# server, the API fuzzer) all come from loopback and would share one search
# budget: they are exempt. tests/test_search_limits.py uses other addresses.
SEARCH_RATE_EXEMPT = ["127.0.0.1", "::1"]
# Tests change documents and points directly, not only through the outbox: only tests/test_search_cache.py turns the
# result cache on (the analysis memo of search.analysis stays on everywhere).
SEARCH_RESULT_CACHE_SECONDS = 0
SEARCH_LOG_FLUSH_SECONDS = 0  # tests read the search log right after a search
# Tests move and suspend points with update() between two requests: each request looks its host up
# (tests/test_point_hosts.py turns the memo on).
POINT_HOST_SECONDS = 0

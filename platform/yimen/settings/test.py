"""Settings for the test suite: the same real servers, their own database and ports."""
from .base import *  # noqa: F401,F403
from .base import REPO

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
MEDIA_ROOT = str(REPO / ".data" / "test-media")

"""The page benchmark's web server (tests/bench/bench_pages.py): benchmark
settings served as production serves them — DEBUG off, static files from
whitenoise in front of the point lookup."""
import os

from .bench import *  # noqa: F401,F403
from .bench import MIDDLEWARE

DEBUG = False
ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1"]
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# bench_pages' second server, the comparison without the page cache: every request makes its page.
if os.environ.get("YIMEN_PAGE_CACHE") == "off":
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "cms.page_cache_middleware.PageCacheMiddleware"]

"""Production: refuses to start on a missing secret, database or host list."""
from . import env
from .base import *  # noqa: F401,F403

SECRET_KEY = env.require("SECRET_KEY")
BASE_DOMAIN = env.require("BASE_DOMAIN")
env.require("DATABASE_URL")
env.require("CELERY_BROKER_URL")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}"]
DEBUG = False
if SECRET_KEY == env.DEFAULTS["SECRET_KEY"] or len(SECRET_KEY) < 32:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY 过短或为开发默认值（SECRET_KEY is the dev default or too short）")
WAGTAILADMIN_BASE_URL = f"https://{BASE_DOMAIN}"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000

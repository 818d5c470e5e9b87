"""Middleware that serves a browser's pages and forms, passed by on the JSON
search API (issue 16).

/api/search and /api/search/suggest answer an anonymous GET with JSON made
from the query alone: no signed-in user, message, language or Wagtail
redirect enters the answer (the views are csrf_exempt and GET only, and their
texts are Chinese whatever the browser asks). The classes here are Django's
and the apps' own, with one change: on those two paths they hand the request
straight on. Measured in process on a cold point search, with sessions, CSRF
and django-axes passed by as well: 0.12 ms of 2.84 ms less; with these four
alone: 0.09 ms. Sessions, CSRF and axes stay whole, under their own names:
Django's deployment checks (secure session and CSRF cookies) and axes' check
look for those names in MIDDLEWARE, and a check that silently stops checking
costs more than 0.03 ms. Django's own checks of the authentication and message
middleware accept subclasses.

What stays on the API: probes, metrics, the page cache's early exit, the
point lookup, SecurityMiddleware's and XFrameOptions' headers,
CommonMiddleware (Content-Length, disallowed agents), and in the view the
budgets (search.limits). A path added to JSON_API must be one whose view
reads none of request.user, messages, the active language.
"""
from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.middleware.locale import LocaleMiddleware

from tenants.redirects import PointRedirectMiddleware

JSON_API = frozenset({"/api/search", "/api/search/suggest"})


class _PassJsonApi:
    """Mixed in before a middleware class: requests for JSON_API go straight on."""

    def __call__(self, request):
        if request.path_info in JSON_API:
            return self.get_response(request)
        return super().__call__(request)


class BrowserLocaleMiddleware(_PassJsonApi, LocaleMiddleware):
    pass


class BrowserAuthenticationMiddleware(_PassJsonApi, AuthenticationMiddleware):
    pass


class BrowserMessageMiddleware(_PassJsonApi, MessageMiddleware):
    pass


class BrowserPointRedirectMiddleware(_PassJsonApi, PointRedirectMiddleware):
    pass

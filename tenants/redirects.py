"""Wagtail's redirects, only on a point's host. The network's own host runs in
the public schema, which has no Wagtail tables: Wagtail's middleware would look
for a Site there on every 404 and fail with a 500 instead."""
from wagtail.contrib.redirects.middleware import RedirectMiddleware


class PointRedirectMiddleware(RedirectMiddleware):
    def process_response(self, request, response):
        if getattr(request, "point", None) is None:
            return response
        return super().process_response(request, response)

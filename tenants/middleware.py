"""Pick the schema from the request's host.

The bare base domain is the public network directory; `<slug>.<base domain>`
(or any Domain row) is that point; any other host is a 404, never another point.
"""
from django.conf import settings
from django_tenants.middleware.main import TenantMainMiddleware

from . import active_schema
from .models import ServicePoint


class PointMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        if hostname == settings.BASE_DOMAIN:
            # The public schema has no ServicePoint row: it is not a point.
            return ServicePoint(schema_name=settings.PUBLIC_SCHEMA_NAME, name="一门", slug="")
        return super().get_tenant(domain_model, hostname)

    def process_request(self, request):
        response = super().process_request(request)
        if response is None and active_schema.current() != settings.PUBLIC_SCHEMA_NAME:
            request.point = request.tenant
        else:
            request.point = None
        return response

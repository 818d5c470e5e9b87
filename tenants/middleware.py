"""Pick the schema from the request's host.

The bare base domain is the public network directory; `<slug>.<base domain>`
(or any Domain row) is that point; any other host is a 404, never another point.

Which point a host names is remembered per process for POINT_HOST_SECONDS
(issue 16: the domain query was a round trip in every request, a sixth of a
search's time). Saving or deleting a point or a domain forgets every host at
once in the process that made the change; other processes, and changes made
without a model's save (a queryset's update(), SQL), show within
POINT_HOST_SECONDS (5 s; 0 in tests, which move points with update()).
Each request gets its own ServicePoint instance, made from the remembered
field values, so no request can change what another one sees.
"""
import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django_tenants.middleware.main import TenantMainMiddleware

from . import access, active_schema
from .models import Domain, ServicePoint

_FIELDS = [field.attname for field in ServicePoint._meta.concrete_fields]
_known: dict[str, tuple[float, list]] = {}  # hostname → (valid until, the point's field values)
_lock = threading.Lock()
_forgotten = [0]  # times forget_hosts ran: a lookup that a change overtook is not remembered


def forget_hosts(**_kwargs) -> None:
    with _lock:
        _known.clear()
        _forgotten[0] += 1


for _model in (ServicePoint, Domain):
    post_save.connect(forget_hosts, sender=_model, dispatch_uid=f"forget_hosts_save_{_model.__name__}")
    post_delete.connect(forget_hosts, sender=_model, dispatch_uid=f"forget_hosts_delete_{_model.__name__}")


class PointMiddleware(TenantMainMiddleware):
    def __call__(self, request):
        # Roles asked while this request is served are asked once (tenants.access).
        with access.roles_kept_for_request():
            return super().__call__(request)

    def get_tenant(self, domain_model, hostname):
        if hostname == settings.BASE_DOMAIN:
            # The public schema has no ServicePoint row: it is not a point.
            return ServicePoint(schema_name=settings.PUBLIC_SCHEMA_NAME, name="一门", slug="")
        seconds = settings.POINT_HOST_SECONDS
        known = _known.get(hostname) if seconds else None
        if known is not None and known[0] > time.monotonic():
            return ServicePoint.from_db(None, _FIELDS, known[1])
        before = _forgotten[0]
        point = super().get_tenant(domain_model, hostname)
        with _lock:
            if seconds and _forgotten[0] == before:
                _known[hostname] = (time.monotonic() + seconds, [getattr(point, name) for name in _FIELDS])
        return point

    def process_request(self, request):
        response = super().process_request(request)
        if response is None and active_schema.current() != settings.PUBLIC_SCHEMA_NAME:
            request.point = request.tenant
        else:
            request.point = None
        return response

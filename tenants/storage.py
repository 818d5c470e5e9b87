"""Uploads stored per point: MEDIA_ROOT/<schema>/…, served at /media/… of that point only."""
from django.conf import settings
from django_tenants.files.storage import TenantFileSystemStorage


class PointFileStorage(TenantFileSystemStorage):
    @property
    def base_url(self):
        # The URL carries no schema: /media/x.jpg on host B can only ever
        # resolve inside B's folder (tenants.views.media), so guessing
        # another point's path gives nothing.
        return settings.MEDIA_URL

"""The bare base domain: the network directory only (no Wagtail here)."""
from django.urls import path

from tenants.views import network_directory

urlpatterns = [
    path("", network_directory, name="network_directory"),
]

"""The bare base domain: the network directory and the citizens' online pages (no Wagtail here)."""
from django.urls import include, path

from tenants.views import network_directory

urlpatterns = [
    path("", network_directory, name="network_directory"),
    path("", include("online.urls")),  # citizens online (issue 13)
]

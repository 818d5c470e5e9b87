"""Electronic results, verification and ratings on the network host (see online/urls.py)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []

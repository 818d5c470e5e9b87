"""Routes owned by online.apply (see online/urls.py)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []

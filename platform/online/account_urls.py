"""Routes owned by online.account (see online/urls.py)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []

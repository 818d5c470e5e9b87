"""Routes owned by online.account (see online/urls.py)."""
from django.urls import path

from . import text_size

urlpatterns = [
    path("text-size/", text_size.text_size, name="text_size"),
]

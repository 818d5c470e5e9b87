"""Routes owned by the ratings (see online/urls.py)."""
from django.urls import path

from . import rating_views

urlpatterns = [
    path("my/<str:number>/rate/", rating_views.rate, name="online_rate"),
]

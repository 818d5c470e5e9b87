"""Routes owned by online.apply (see online/urls.py): applying online, 补正 online, an applicant's files."""
from django.urls import path

from . import apply_views as views

urlpatterns = [
    path("apply/<slug:point_slug>/<str:item_code>/", views.apply, name="online_apply"),
    path("apply/<str:item_code>/", views.choose_point, name="online_choose_point"),
    path("submitted/<str:number>/", views.submitted, name="online_submitted"),
    path("my/<str:number>/supplement/", views.supplement, name="online_supplement"),
    path("files/<uuid:key>/", views.own_file, name="online_file"),
]

"""Electronic results, verification, ratings and the public API on the network host (see online/urls.py)."""
from django.urls import path, re_path

from . import public_api, result_views

urlpatterns = [
    path("verify/<str:token>", result_views.verify, name="result_verify"),
    path("rate/<str:token>/", result_views.rate, name="case_rate"),
    path("api/cases/lookup", public_api.lookup, name="api_case_lookup"),
    # Any token, even one with a slash, gets the API's JSON 404 rather than the HTML one.
    re_path(r"^api/results/(?P<token>.+)$", public_api.result, name="api_result"),
    path("api/openapi.json", public_api.openapi, name="api_public_openapi"),
]

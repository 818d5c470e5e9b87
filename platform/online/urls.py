"""The citizen's pages and the public API on the network's host (yimen.urls_public).

account_urls: sign-in by code, real name, 我的办件 and a case's timeline.
apply_urls: online applications, drafts, uploads, 补正 uploads.
cases.result_urls: /verify/<token>, ratings, the public API (lookup, verification).
"""
from django.urls import include, path

urlpatterns = [
    path("", include("online.account_urls")),
    path("", include("online.apply_urls")),
    path("", include("cases.result_urls")),
    path("", include("online.rating_urls")),  # /my/<number>/rate/ (好差评 online)
]

"""A service point's host: its Wagtail site and admin."""
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cases import progress_views as case_progress_views
from cms import views as cms_views
from search import views as search_views
from stats import public_views as stats_public_views
from tenants import views as tenant_views
from tenants.text_size import text_size

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Before Wagtail's own: documents are served through tenants.uploads' rules.
    re_path(r"^documents/(?P<document_id>\d+)/(?P<document_filename>.*)$", tenant_views.document,
            name="point_document"),
    path("documents/", include(wagtaildocs_urls)),
    path("enter/<str:token>/", tenant_views.enter, name="enter_point"),
    path("go/<slug:slug>/", tenant_views.go_to_point, name="go_to_point"),
    re_path(r"^media/(?P<path>.+)$", tenant_views.media, name="point_media"),
    path("text-size/", text_size, name="text_size"),
    path("api/search", search_views.api_search, name="api_search"),
    path("api/search/suggest", search_views.api_suggest, name="api_search_suggest"),
    path("api/openapi.json", search_views.openapi, name="api_openapi"),
    path("search/", search_views.results, name="search_results"),
    path("search/go/<str:code>/", search_views.click, name="search_click"),
    re_path(r"^items/(?P<code>[\w-]+)/qr\.svg$", cms_views.guide_qr, name="guide_qr"),
    path("progress/", case_progress_views.progress, name="case_progress"),
    path("figures/", stats_public_views.public_figures, name="stats_figures"),
    path("", include(wagtail_urls)),
]

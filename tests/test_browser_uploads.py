"""An admin opens the links to an editor's HTML upload in Chromium: its script
never runs on the point's origin, inline or loaded from an uploaded .js."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context
from wagtail.documents.models import Document

from tests.browser import sign_in, url

pytestmark = pytest.mark.browser


def _page(script_url: str, name: str) -> ContentFile:
    # Marks the point's origin if anything in it runs there.
    return ContentFile(
        "<!doctype html><title>x</title>"
        "<script>localStorage.setItem('ran-inline', '1'); document.title = 'ran'</script>"
        f"<script src='{script_url}'></script>".encode(), name=name)


def test_an_uploaded_page_and_script_never_run_at_the_point(browser, network, live_server_url):
    from playwright.sync_api import Error as PlaywrightError

    admin = network.user("upload-victim", network.village, "admin")
    with tenant_context(network.village):
        # Stored before uploads were limited (today the admin refuses both).
        script = Document.objects.create(title="脚本", file=ContentFile(
            b"localStorage.setItem('ran-script', '1');", name="x.js"))
        page_doc = Document.objects.create(title="网页", file=_page(script.url, "x.html"))
        loose = default_storage.save("uploads/page.html", _page(f"/media/{script.file.name}", "page.html"))
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, network.village, live_server_url, admin.username)

        # The media folder no longer serves documents at all.
        response = page.goto(url(network.village, live_server_url, f"/media/{page_doc.file.name}"))
        assert response.status == 404 and page.title() != "ran"
        # Through the document view, and any other upload: a download, never a page.
        for path in (page_doc.url, f"/media/{loose}"):
            with page.expect_download() as download:
                try:
                    page.goto(url(network.village, live_server_url, path))
                except PlaywrightError:
                    pass  # the navigation turned into a download
            assert download.value.suggested_filename.endswith(".html")

        page.goto(url(network.village, live_server_url, "/admin/"))
        marks = page.evaluate("[localStorage.getItem('ran-inline'), localStorage.getItem('ran-script')]")
        assert marks == [None, None]
    finally:
        context.close()

"""Uploads are served from a point's own host, the origin of its admin: nothing
an editor uploads may be rendered there as a page or run as a script."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from wagtail.documents.models import Document
from wagtail.models import Collection, CollectionViewRestriction

from tenants.models import Role


@pytest.fixture
def network(shared_network):
    """One network for the module (conftest.shared_network): each test makes
    users and data of its own names."""
    return shared_network


PASSWORD = "pass-Word-2026"
PAGE = b"<!doctype html><title>x</title><script>document.title = 'pwned'</script>"
SCRIPT = b"document.title = 'pwned';"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _is_locked_download(response) -> bool:
    return (response["Content-Type"] == "application/octet-stream"
            and response["Content-Disposition"].startswith("attachment")
            and response["X-Content-Type-Options"] == "nosniff"
            and "sandbox" in response["Content-Security-Policy"]
            and "default-src 'none'" in response["Content-Security-Policy"])


def test_an_editor_cannot_upload_html_or_script_as_a_document(network, client_at):
    editor = network.user("doc-editor", network.village, Role.EDITOR)
    client = client_at(network.village)
    assert client.login(username=editor.username, password=PASSWORD)
    for name, body, kind in (("x.html", PAGE, "text/html"), ("x.js", SCRIPT, "text/javascript"),
                             ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")):
        # The one-file form and the drag-and-drop uploader.
        form = client.post("/admin/documents/add/", {"title": name, "file": SimpleUploadedFile(name, body, kind)})
        assert form.status_code == 200
        assert f"文件扩展“{name.split('.')[1]}”是不被允许" in form.content.decode()
        multiple = client.post("/admin/documents/multiple/add/", {"files[]": SimpleUploadedFile(name, body, kind)})
        assert multiple.json()["success"] is False
        assert "是不被允许" in multiple.json()["error_message"]
    with tenant_context(network.village):
        assert not Document.objects.exists()
    # What a county publishes still goes up.
    pdf = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    assert client.post("/admin/documents/add/", {"title": "通知", "file": pdf}).status_code == 302
    with tenant_context(network.village):
        assert Document.objects.get().title == "通知"


def test_a_stored_html_or_script_document_is_only_a_sandboxed_download(network, client_at):
    """Files stored before the extension list (or put straight into storage)."""
    with tenant_context(network.village):
        page = Document.objects.create(title="旧网页", file=ContentFile(PAGE, name="x.html"))
        script = Document.objects.create(title="旧脚本", file=ContentFile(SCRIPT, name="x.js"))
    visitor = client_at(network.village)
    for document, body in ((page, PAGE), (script, SCRIPT)):
        assert document.url == f"/documents/{document.pk}/{document.filename}"
        served = visitor.get(document.url)
        assert served.status_code == 200 and _is_locked_download(served), dict(served.headers)
        assert f"filename=\"{document.filename}\"" in served["Content-Disposition"]
        assert _body(served) == body
        # Never straight from the media folder (nor by a ./ detour).
        assert visitor.get(f"/media/{document.file.name}").status_code == 404
        assert visitor.get(f"/media/./{document.file.name}").status_code == 404
    # A PDF is still shown in the browser's viewer, under Wagtail's own policy.
    with tenant_context(network.village):
        pdf = Document.objects.create(title="通知", file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="notice.pdf"))
    shown = visitor.get(pdf.url)
    assert shown["Content-Type"] == "application/pdf" and shown["Content-Disposition"].startswith("inline")
    assert shown["Content-Security-Policy"] == "default-src 'none'" and shown["X-Content-Type-Options"] == "nosniff"


def test_a_private_collection_stays_private(network, client_at):
    """The media folder no longer serves documents, so collection privacy holds."""
    with tenant_context(network.village):
        private = Collection.get_first_root_node().add_child(name="内部文件")
        CollectionViewRestriction.objects.create(collection=private,
                                                 restriction_type=CollectionViewRestriction.LOGIN)
        document = Document.objects.create(title="内部通知", collection=private,
                                           file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="internal.pdf"))
    visitor = client_at(network.village)
    assert visitor.get(document.url).status_code == 302  # to sign-in
    assert visitor.get(f"/media/{document.file.name}").status_code == 404
    clerk = network.user("doc-clerk", network.village, Role.CLERK)
    assert visitor.login(username=clerk.username, password=PASSWORD)
    assert visitor.get(document.url).status_code == 200


def test_media_shows_images_and_makes_anything_else_a_sandboxed_download(network, client_at):
    with tenant_context(network.village):
        photo = default_storage.save("original_images/hall.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
        page = default_storage.save("uploads/page.html", ContentFile(PAGE))
        drawing = default_storage.save("original_images/logo.svg",
                                       ContentFile(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"))
    visitor = client_at(network.village)
    shown = visitor.get(f"/media/{photo}")
    assert shown["Content-Type"] == "image/png" and shown["X-Content-Type-Options"] == "nosniff"
    assert not shown.get("Content-Disposition", "inline").startswith("attachment")
    for name in (page, drawing):
        served = visitor.get(f"/media/{name}")
        assert served.status_code == 200 and _is_locked_download(served), dict(served.headers)

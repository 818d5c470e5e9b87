"""How a point's uploads reach a browser.

Uploads are served from the point's own host, the one its admin runs on. A
file the browser rendered as a page would run an editor's script with an
admin's session, and the site's `script-src 'self'` would let any page load
an uploaded .js. So only raster images and PDF (in Chrome's isolated viewer)
may be shown; every other file is a download of an opaque type that the
browser neither sniffs, renders nor runs.
"""
from __future__ import annotations

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header

# Shown in the browser: raster images (Wagtail images and their renditions).
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
# Downloads that keep their own type: what a county's documents are
# (settings.WAGTAILDOCS_EXTENSIONS). No browser renders these as a page.
DOWNLOAD_TYPES = INLINE_TYPES | {
    "application/pdf", "application/ofd", "application/zip", "application/octet-stream",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# No script, no plugin, an opaque origin: even a rendered file could do nothing.
LOCKED_POLICY = "default-src 'none'; sandbox"
# Wagtail documents live here; they are served only by the document view,
# which applies collection privacy (tenants.views.document).
DOCUMENTS_FOLDER = "documents/"


def content_type(response: HttpResponseBase) -> str:
    return response.get("Content-Type", "").split(";")[0].strip().lower()


def lock_down(response: HttpResponseBase, filename: str, *, inline: frozenset[str] = INLINE_TYPES) -> HttpResponseBase:
    """Make a file response safe to serve from the admin's origin: types in
    `inline` stay viewable, anything else becomes an attachment, and a type
    a browser might render (HTML, SVG, script, XML, text) becomes opaque."""
    kind = content_type(response)
    response["X-Content-Type-Options"] = "nosniff"
    if kind in inline:
        return response
    if kind not in DOWNLOAD_TYPES:
        response["Content-Type"] = "application/octet-stream"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Security-Policy"] = LOCKED_POLICY
    return response

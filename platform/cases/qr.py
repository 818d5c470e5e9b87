"""QR codes printed on a case's receipt: inline SVG (no request for an image,
and it prints sharp at any size)."""
from __future__ import annotations

import io

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def svg(text: str, title: str = "") -> SafeString:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, xmldecl=False, title=title or None,
        svgclass="qr", lineclass=None)
    markup = out.getvalue().decode("utf-8")
    # A named image for screen readers (role=img with its title as the label).
    return mark_safe(markup.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1))  # noqa: S308

"""The PDF of an electronic result (决定书): the decision in the deciding
authority's name, its seal drawn (red circle, star, the authority's name around
the rim) and a QR code to the verification page on the network's host.

ReportLab's built-in CID font STSong-Light draws the Chinese text without a
font file. The document's creation date is fixed to the issue time and its id
derived from the token, so the same inputs give the same bytes: the SHA-256
kept with the result is the fingerprint of exactly this file.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
SEAL_RED = Color(0.85, 0.07, 0.07)
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class ResultDocument:
    title: str
    issuer: str
    number: str  # the case number
    recipient: str  # masked
    item_name: str
    body: str
    issued_at: dt.datetime
    verify_url: str
    token: str
    # Under a power delegated to a park (赋权, the legal form of 委托): the result is
    # issued in the county department's name (`issuer`) with the park's approval
    # seal, named here and drawn from its image when the grant has one.
    seal_name: str = ""
    seal_image: bytes | None = None
    delegated_by: str = ""  # "受委托实施：<park>" under the signature


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Chinese text wraps at any character; paragraphs at newlines."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if pdfmetrics.stringWidth(line + char, FONT, size) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def _seal(c: canvas.Canvas, x: float, y: float, issuer: str, radius: float = 21 * mm) -> None:
    """A round official seal: a red ring, a five-pointed star, the name along the upper rim."""
    c.saveState()
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    c.setLineWidth(1.6 * mm)
    c.circle(x, y, radius, stroke=1, fill=0)
    star = radius * 0.32
    points = []
    for i in range(10):
        r = star if i % 2 == 0 else star * 0.4
        angle = math.pi / 2 + i * math.pi / 5
        points.append((x + r * math.cos(angle), y + r * math.sin(angle)))
    path = c.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
    size = 4.2 * mm
    c.setFont(FONT, size)
    # The name along the rim, from the left over the top to the right (210° of arc at most).
    chars = list(issuer)
    span = min(math.radians(210), math.radians(24) * max(len(chars) - 1, 1))
    text_radius = radius - 2.2 * mm - size * 0.8
    for i, char in enumerate(chars):
        angle = math.pi / 2 + span / 2 - (span * i / max(len(chars) - 1, 1))
        c.saveState()
        c.translate(x + text_radius * math.cos(angle), y + text_radius * math.sin(angle))
        c.rotate(math.degrees(angle) - 90)
        c.drawCentredString(0, 0, char)
        c.restoreState()
    c.restoreState()


def _seal_image(c: canvas.Canvas, x: float, y: float, image: bytes, radius: float = 21 * mm) -> bool:
    """The grant's seal as uploaded (a PNG or JPEG), centred where the drawn seal would be."""
    try:
        reader = ImageReader(io.BytesIO(image))
        c.drawImage(reader, x - radius, y - radius, 2 * radius, 2 * radius, mask="auto",
                    preserveAspectRatio=True, anchor="c")
    except Exception:  # an unreadable image: the drawn seal with its name stands in
        return False
    return True


def _qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


def render(doc: ResultDocument) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(f"{doc.title} {doc.number}")
    c.setAuthor(doc.issuer)
    c.setSubject(doc.item_name)
    c.setCreator("一门 yimen")
    if doc.seal_name:  # who may check the seal against the grant's public notice
        c.setKeywords(f"审批专用章：{doc.seal_name}；{doc.delegated_by}")
    width, height = A4
    left, right = 25 * mm, width - 25 * mm
    c.setFillColor(black)
    c.setFont(FONT, 22)
    c.drawCentredString(width / 2, height - 35 * mm, doc.issuer)
    c.setFont(FONT, 18)
    c.drawCentredString(width / 2, height - 47 * mm, doc.title)
    c.setFont(FONT, 11)
    c.drawRightString(right, height - 57 * mm, f"办件编号：{doc.number}")
    y = height - 72 * mm
    c.setFont(FONT, 13)
    c.drawString(left, y, f"{doc.recipient}：")
    y -= 10 * mm
    for line in _wrap(f"你（单位）申请的“{doc.item_name}”事项，经审查，决定如下：", right - left - 8 * mm, 13):
        c.drawString(left + 8 * mm, y, line)
        y -= 8 * mm
    for line in _wrap(doc.body, right - left - 8 * mm, 13):
        c.drawString(left + 8 * mm, y, line)
        y -= 8 * mm
        if y < 95 * mm:
            break  # one page: the rest of a very long text is on the case's file
    c.setFont(FONT, 13)
    c.drawRightString(right - 10 * mm, 80 * mm, doc.issuer)
    c.drawRightString(right - 10 * mm, 72 * mm, f"{doc.issued_at:%Y年%m月%d日}")
    if doc.delegated_by:
        c.setFont(FONT, 10)
        c.drawRightString(right - 10 * mm, 64 * mm, doc.delegated_by)
    if not (doc.seal_image and _seal_image(c, right - 35 * mm, 80 * mm, doc.seal_image)):
        _seal(c, right - 35 * mm, 80 * mm, doc.seal_name or doc.issuer)
    _qr(c, doc.verify_url, left, 22 * mm, 32 * mm)
    c.setFont(FONT, 9)
    c.drawString(left + 36 * mm, 44 * mm, "扫描二维码或访问以下网址核验本文书的真伪和效力：")
    c.drawString(left + 36 * mm, 38 * mm, doc.verify_url)
    c.drawString(left + 36 * mm, 32 * mm, "本文书为电子文书，与纸质文书具有同等效力。")
    c.drawString(left + 36 * mm, 26 * mm, "对本文件的任何改动都将使核验失败。")
    c.showPage()
    c.save()
    return out.getvalue()

"""Charts as inline SVG drawn on the server by pygal: no script, no network, no
font download. Each chart goes beside a table of the same numbers (the table
is what a screen reader reads; the SVG is marked as an image with a label)."""
from __future__ import annotations

import re

import pygal
from django.utils.html import escape
from pygal.style import Style

STYLE = Style(
    font_family='"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif',
    background="white", plot_background="white", foreground="#333", foreground_strong="#111",
    foreground_subtle="#bbb", colors=("#1f6fb2", "#2e8540", "#c05a00", "#8e44ad", "#b22222"),
    title_font_size=16, label_font_size=12, major_label_font_size=12, legend_font_size=12,
    value_font_size=11, tooltip_font_size=12,
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart, label: str) -> str:
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    # An image with a name for assistive technology; the table beside it has the numbers.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)


def bars(title: str, labels: list[str], series: dict[str, list], *, horizontal: bool = False) -> str:
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(title=title, style=STYLE, js=[], disable_xml_declaration=True, width=760,
                 height=max(300, 22 * len(labels) + 120) if horizontal else 340,
                 x_label_rotation=0 if horizontal or len(labels) <= 12 else 60,
                 show_minor_x_labels=len(labels) <= 16, legend_at_bottom=True, print_values=False,
                 truncate_label=18, margin=12)
    chart.x_labels = labels
    if not horizontal and len(labels) > 16:
        chart.x_labels_major = labels[::5]
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart, title)


def line(title: str, labels: list[str], series: dict[str, list]) -> str:
    chart = pygal.Line(title=title, style=STYLE, js=[], disable_xml_declaration=True, width=760, height=320,
                       legend_at_bottom=True, show_minor_x_labels=len(labels) <= 16,
                       allow_interruptions=True, margin=12)
    chart.x_labels = labels
    if len(labels) > 16:
        chart.x_labels_major = labels[::5]
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart, title)

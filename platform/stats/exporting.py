"""Every statistics table as a sheet of one Excel workbook (openpyxl, as the
catalogue export in standards.exporting: bold header row, widths, frozen panes)."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .tables import Table


def build_workbook(title: str, tables: list[Table]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.sheet[:31])
        sheet.append([f"{title} · {table.caption}"])
        sheet.cell(row=1, column=1).font = Font(bold=True)
        sheet.append(table.headers)
        for n, header in enumerate(table.headers, 1):
            sheet.cell(row=2, column=n).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(n)].width = 26 if n == 1 else max(10, 2 * len(header) + 2)
        for row in table.rows:
            sheet.append(row.cells)
        sheet.freeze_panes = "B3"
    return book


def workbook_bytes(title: str, tables: list[Table]) -> bytes:
    out = io.BytesIO()
    build_workbook(title, tables).save(out)
    return out.getvalue()

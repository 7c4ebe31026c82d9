"""Cells for CSV files people open in spreadsheets."""
from __future__ import annotations

from typing import Any

#: A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The value as a CSV cell a spreadsheet shows as text: numbers as they are, text on one
    line and, when it could start a formula, behind a quote (OWASP's CSV injection advice)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = " ".join(str(value).split())
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text

"""Text helpers shared by every feature."""
from __future__ import annotations

import re
import unicodedata

_NOT_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = 80) -> str:
    """Lowercase ASCII letters, digits and single hyphens (accents folded), at most max_len
    characters; "" when nothing is left. Used for cohort slugs, question keys and file names.
    (Heading ids, which keep non-ASCII letters, are made by lms.markdown.)"""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG_RE.sub("-", folded.lower()).strip("-")[:max_len].rstrip("-")


def whole_number(raw: str | None, maximum: int = 2**31 - 1) -> int | None:
    """A non-negative whole number typed by a person: ASCII digits only (str.isdigit also
    accepts '²' and '①', which int() then refuses), at most `maximum` (by default the
    database's integer range); None for anything else."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None

"""Credential IDs: ``PREFIX-YYYY-NNNNNN-C``, with a check character that catches typing errors.

``JCAP-2026-000123-K``: the programme's prefix (letters and digits), the year of issue, a serial
of at least six digits, and one check character from the same 36 symbols (0-9, A-Z).

The check
---------
ISO 7064's hybrid MOD 37,36 system keeps the check inside the 36 symbols, but misses some
adjacent transpositions (72 of its state/pair combinations; ``tests/credentials`` shows one);
its pure MOD 37-2 system catches them all but needs a 37th symbol (``*``). So the check here is
the Damm scheme over a *totally anti-symmetric quasigroup* of order 36: a 36×36 Latin square
``∘`` with ``(c∘x)∘y = (c∘y)∘x ⇒ x = y``. Such a square catches

* every single substitution: each row and column of a Latin square is a permutation, so a
  changed symbol changes every later state, and the check is a function of the last state;
* every adjacent transposition, the check character included: that is anti-symmetry.

The square is the direct product of two small ones, ``x∘y = a·x + y`` over the fields GF(4)
(``a = ω``) and Z/9 (``a = 2``): in each, ``a ≠ 0`` makes it a Latin square and ``a ≠ 1`` makes
it anti-symmetric, and a direct product keeps both properties. The tests check all of it
exhaustively. The check character is the ``c`` with ``state∘c = 0``.

Pure code: no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALPHABET", "CredentialId", "check_character", "format_id", "id_problem", "is_valid_id",
    "parse_id", "suggest_corrections",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIAL_DIGITS = 6
MAX_INPUT = 64  # longer input is not an ID: no work is done on it
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}

_PREFIX_RE = re.compile(r"^[A-Z0-9]{1,16}$")
#: The year has four digits; the serial six (zero-padded) or more without a leading zero, so
#: that each ID has exactly one written form.
_YEAR = r"([1-9]\d{3})"
_SERIAL = r"(\d{6}|[1-9]\d{6,8})"
_ID_RE = re.compile(rf"^([A-Z0-9]{{1,16}})-{_YEAR}-{_SERIAL}-([0-9A-Z])$")
_COMPACT_RE = re.compile(rf"^([A-Z0-9]{{0,15}}[A-Z]){_YEAR}{_SERIAL}([0-9A-Z])$")
_NUMBERS_RE = re.compile(rf"^{_YEAR}{_SERIAL}$")
#: Separators people type or paste: spaces, hyphens and dashes of every kind, dots, underscores.
_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―−_.·/]+")
#: In the digit groups, letters that are read for digits.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1",
                                   "Z": "2", "S": "5", "B": "8", "G": "6"})


def _gf4_times_omega(x: int) -> int:
    """ω·x in GF(4), elements as two bits (b1·ω + b0), with ω² = ω + 1."""
    high, low = x >> 1, x & 1
    return ((high ^ low) << 1) | high


def _op(x: int, y: int) -> int:
    """The quasigroup: symbols as (GF(4), Z/9) pairs, (ω·x₄ + y₄, 2·x₉ + y₉)."""
    x4, x9 = divmod(x, 9)
    y4, y9 = divmod(y, 9)
    return (_gf4_times_omega(x4) ^ y4) * 9 + (2 * x9 + y9) % 9


#: The 36×36 table, row = state, column = symbol.
TABLE: tuple[tuple[int, ...], ...] = tuple(
    tuple(_op(x, y) for y in range(36)) for x in range(36))


def _state(payload: str) -> int:
    state = 0
    for symbol in payload:
        state = TABLE[state][_VALUE[symbol]]
    return state


def check_character(payload: str) -> str:
    """The check character for a payload of 0-9/A-Z symbols (an ID without dashes and check)."""
    state = _state(payload.upper())
    return ALPHABET[TABLE[state].index(0)]


@dataclass(frozen=True)
class CredentialId:
    """A well-formed credential ID whose check character is right."""

    prefix: str
    year: int
    serial: int
    check: str

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year:04d}-{self.serial:0{SERIAL_DIGITS}d}-{self.check}"


def format_id(prefix: str, year: int, serial: int) -> str:
    """``PREFIX-YYYY-NNNNNN-C``. Raises ValueError for a bad prefix, year or serial."""
    prefix = prefix.upper()
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"credential ID prefix must be 1-16 letters and digits (got {prefix!r})")
    if not 1000 <= year <= 9999:
        raise ValueError(f"credential ID year must have four digits (got {year!r})")
    if not 0 < serial < 10**9:
        raise ValueError(f"credential ID serial must be 1 to 999999999 (got {serial!r})")
    body = f"{prefix}{year:04d}{serial:0{SERIAL_DIGITS}d}"
    return f"{prefix}-{year:04d}-{serial:0{SERIAL_DIGITS}d}-{check_character(body)}"


def _groups(text: object) -> tuple[str, str, str, str] | None:
    """(prefix, year, serial, check) read from typed text, or None when it is not ID-shaped."""
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        return None
    cleaned = _SEPARATORS_RE.sub("-", text.strip().upper()).strip("-")
    parts = cleaned.split("-")
    if len(parts) == 4:
        prefix, year, serial, check = parts
        year = year.translate(_DIGIT_LOOKALIKES)
        serial = serial.translate(_DIGIT_LOOKALIKES)
        match = _ID_RE.match(f"{prefix}-{year}-{serial}-{check}")
    elif len(parts) == 1:
        match = _COMPACT_RE.match(parts[0])
    else:
        return None
    if match is None:
        return None
    prefix, year, serial, check = match.groups()
    return prefix, year, serial, check


def parse_id(text: object) -> CredentialId | None:
    """The ID in typed text, or None. Case, spaces and any dashes are forgiven; never raises.

    Accepts ``jcap-2026-000123-k``, ``JCAP 2026 000123 K``, ``JCAP2026000123K`` and
    ``JCAP–2026–OOO123–K`` (letters that look like digits in the digit groups).
    """
    groups = _groups(text)
    if groups is None:
        return None
    prefix, year, serial, check = groups
    if int(serial) == 0 or check_character(prefix + year + serial) != check:
        return None
    return CredentialId(prefix, int(year), int(serial), check)


def is_valid_id(text: object) -> bool:
    return parse_id(text) is not None


def id_problem(text: object) -> str | None:
    """Why text is not a valid credential ID, in plain words; None when it is one."""
    groups = _groups(text)
    if groups is None:
        return ("not a credential ID: they look like PREFIX-YYYY-NNNNNN-C, "
                "e.g. JCAP-2026-000123-K")
    prefix, year, serial, check = groups
    if int(serial) == 0:
        return "not a credential ID: the serial number cannot be all zeros"
    if check_character(prefix + year + serial) != check:
        return "the last character does not match the rest: the ID has a typing mistake"
    return None


def suggest_corrections(text: object, limit: int | None = None) -> list[str]:
    """Valid IDs one slip away from text, for "did you mean …?" (empty when text is valid).

    Candidates, likeliest first: the same digits with the check character corrected; two
    adjacent digits swapped; one serial digit replaced; one year digit replaced. Bounded: at
    most 1 + 14 + 10 × 9 tries (six-digit serial). About one in 36 random changes passes the
    check, so a caller shows only the candidates that exist (the page knows which IDs were
    issued); ``limit`` keeps the first ones.
    """
    groups = _groups(text)
    if groups is None or parse_id(text) is not None:
        return []
    prefix, year, serial, check = groups
    digits = year + serial
    found: list[str] = []

    def consider(candidate: str, candidate_check: str) -> None:
        if _NUMBERS_RE.match(candidate) and candidate[4:].strip("0") \
                and check_character(prefix + candidate) == candidate_check:
            name = f"{prefix}-{candidate[:4]}-{candidate[4:]}-{candidate_check}"
            if name not in found:
                found.append(name)

    consider(digits, check_character(prefix + digits))
    for index in range(len(digits) - 1):
        swapped = digits[:index] + digits[index + 1] + digits[index] + digits[index + 2:]
        if swapped != digits:
            consider(swapped, check)
    for index in [*range(4, len(digits)), *range(4)]:
        for other in "0123456789":
            if other != digits[index]:
                consider(digits[:index] + other + digits[index + 1:], check)
    return found if limit is None else found[:max(0, limit)]

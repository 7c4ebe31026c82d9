"""The problem collector shared by the authoring parsers: ``path:LINE: message`` problems."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One lint problem: a file (relative to the working directory when possible), a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def as_warning(self) -> str:
        """``path:LINE: warning: message`` (advice that does not fail a check)."""
        return f"{self.path}:{self.line}: warning: {self.message}"


def display_path(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


class Sink:
    """Collects problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(display_path(path), max(1, int(line)), message))

    def extend(self, path: Path, issues: Iterable[tuple[int, str]]) -> None:
        for line, message in issues:
            self.add(path, line, message)


#: No text file holds NUL, and PostgreSQL refuses it in any text column.
NUL = "\x00"
NUL_PROBLEM = "the text contains a NUL character (\\0); remove it"


def nul_line(text: str) -> int:
    """The line of the first NUL character in text."""
    return text.count("\n", 0, text.index(NUL)) + 1


def read_text(path: Path, sink: Sink) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sink.add(path, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        sink.add(path, line, "file is not valid UTF-8 text")
        return None
    if NUL in text:
        sink.add(path, nul_line(text), NUL_PROBLEM)
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def safe(sink: Sink, path: Path, func: Callable[[], T]) -> T | None:
    """Run func; turn an unexpected exception into a problem (the parser never raises)."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - a parser bug must not hide the other problems
        where = traceback.extract_tb(exc.__traceback__)[-1]
        sink.add(path, 1, f"internal parser error ({type(exc).__name__}: {exc} at "
                          f"{Path(where.filename).name}:{where.lineno}); please report it")
        return None

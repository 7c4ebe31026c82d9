"""What an uploaded file is, judged by its content: an allowed extension whose bytes match it.

PDF starts `%PDF-`; PNG and JPEG have their signatures; DOCX is a ZIP holding
`[Content_Types].xml` and a `word/` part, whose members may not expand past
MAX_UNCOMPRESSED bytes nor MAX_RATIO times their compressed size (a ZIP bomb is refused
before anything is stored). Pure apart from reading the given file object.
"""
from __future__ import annotations

import zipfile
from typing import IO

from lms import storage
from lms.errors import ValidationError

#: extension -> (content type, how to check the content)
KINDS: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
    "md": "text/markdown",
}
MAX_UNCOMPRESSED = 100 * 2**20
MAX_RATIO = 100
_SIGNATURES = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",),
               "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",)}
NAMES = {"pdf": "a PDF", "png": "a PNG image", "jpg": "a JPEG image", "jpeg": "a JPEG image",
         "docx": "a Word document (.docx)", "txt": "a plain text file",
         "md": "a Markdown text file"}


def extension_of(filename: str) -> str:
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def safe_filename(filename: str) -> str:
    """The name to show and offer on download: the last path part, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:200] or "attachment"


def check(stream: IO[bytes], filename: str, allowed: list[str]) -> str:
    """The content type of `stream` (seekable, at 0) named `filename`, or ValidationError
    saying why it is refused. The stream is left at 0."""
    ext = extension_of(filename)
    if not allowed:
        raise ValidationError("This assignment takes no attachments.")
    if ext not in allowed:
        raise ValidationError(f"“{safe_filename(filename)}” is not one of the allowed file "
                              f"types ({', '.join(allowed)}).")
    if ext not in KINDS:
        raise ValidationError(f"Files of type .{ext} cannot be checked, so they are not "
                              "accepted.")
    head = stream.read(16)
    stream.seek(0)
    if not head:
        raise ValidationError(f"“{safe_filename(filename)}” is empty.")
    ok = _matches(stream, ext, head)
    stream.seek(0)
    if not ok:
        raise ValidationError(f"“{safe_filename(filename)}” is not {NAMES[ext]}: its content "
                              "does not match its name.")
    if ext == "pdf":
        refuse_active_pdf(stream, safe_filename(filename))
    return KINDS[ext]


def refuse_active_pdf(stream: IO[bytes], name: str, max_bytes: int = 64 * 2**20) -> None:
    found = storage.pdf_active_content(stream, max_bytes)
    if found:
        raise ValidationError(f"“{name}” contains scripts, attached files or actions ({found}); "
                              "save it as a plain PDF (print to PDF) and upload that.")


def _matches(stream: IO[bytes], ext: str, head: bytes) -> bool:
    if ext in _SIGNATURES:
        return head.startswith(_SIGNATURES[ext])
    if ext == "docx":
        return _is_docx(stream)
    sample = stream.read(64 * 1024)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # a multi-byte character cut at the sample's end is fine
            return False
    return b"\x00" not in sample


def _is_docx(stream: IO[bytes]) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            expanded = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
            if expanded > MAX_UNCOMPRESSED or expanded / packed > MAX_RATIO:
                raise ValidationError("That .docx expands to far more than its size (a ZIP "
                                      "bomb?); it was refused.")
            return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
    except (zipfile.BadZipFile, OSError, EOFError):
        return False

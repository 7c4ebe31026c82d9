"""Every upload refuses what it must: content that does not match the name, files over the
limit (counted while streaming), ZIP bombs, PDFs with scripts, actions or attached files
(also hidden in compressed object streams or with #-escaped names), and names with paths.

The uploads today (UPLOADS): a case-study attachment and the three CE evidence files (an
activity, an answer to a registrar's question, an audit). A new upload: add it to UPLOADS.

Uploads that are only read, never stored (CHECKS: the certificate PDF a verifier checks, on
the page and through the API) answer every such file with a clear message instead of a
refusal: active PDFs are not opened, other content is "not a PDF", the name is never used,
and the body is counted while it streams in. A new read-only upload: add it to CHECKS.
"""
from __future__ import annotations

import io
import zlib

import pytest

from lms.assignments import services as assignments
from lms.credits import services as ce
from lms.errors import ValidationError
from tests.assignments.helpers import PDF, docx_bytes, zip_bomb
from tests.world import CE_TODAY

JS_PDF = PDF + b"1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
ESCAPED_JS_PDF = PDF + b"1 0 obj << /S /J#61vaScript /J#53 (app.alert(1)) >> endobj"
EMBEDDED_PDF = PDF + b"<< /Names << /EmbeddedFiles << /Names [(x.exe) 2 0 R] >> >> >>"
LAUNCH_PDF = PDF + b"<< /S /Launch /F (cmd.exe) >>"
HIDDEN_PDF = (PDF + b"5 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
              + zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>") + b"\nendstream")
ACTIVE_PDFS = {"javascript": JS_PDF, "escaped names": ESCAPED_JS_PDF,
               "embedded file": EMBEDDED_PDF, "launch": LAUNCH_PDF,
               "in a compressed object stream": HIDDEN_PDF}
#: A file that is a valid GIF and HTML with script at once, named .pdf / .png
POLYGLOT = b"GIF89a/*<html><script>alert(1)</script>*/"


def _attach(world, data: bytes, name: str):
    learner = world.users["other"]
    assignment = world.extra["assignment"]
    from lms.courses import services as courses
    courses.enrol(learner, assignment.item.course, world.extra["now"])
    return assignments.add_attachment(assignment, learner, io.BytesIO(data), name,
                                      world.extra["now"])


def _activity(world, data: bytes, name: str):
    return ce.report_activity(world.users["learner"], ce.ActivityInput(
        title="Circle", provider="PSE", completed_on=CE_TODAY.replace(day=1), hours="1",
        category="racial-equity", activity_type="convening"), io.BytesIO(data), name,
        CE_TODAY, world.extra["now"])


def _audit(world, data: bytes, name: str):
    audit = ce.get_audit(int(world.values["audit_id"]))
    return ce.submit_audit_evidence(audit, world.users["learner"], io.BytesIO(data), name,
                                    "note", world.extra["now"])


UPLOADS = {"assignment attachment": _attach, "CE activity evidence": _activity,
           "CE audit evidence": _audit}
# TODO(merge): CE answer evidence shares _activity's check (store_evidence); add uploads of
# issues 12-14 (e.g. board post attachments) here.


def _verify_api(client, data: bytes, name: str) -> tuple[int, str, dict | None]:
    r = client.post("/api/v1/verify/pdf", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")
    body = r.get_json(silent=True)
    return r.status_code, (body or {}).get("message") or (body or {}).get("detail", ""), body


def _verify_page(client, data: bytes, name: str) -> tuple[int, str, dict | None]:
    r = client.post("/verify/pdf", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")
    return r.status_code, r.get_data(as_text=True), None


CHECKS = {"verify PDF (API)": _verify_api, "verify PDF (page)": _verify_page}


@pytest.mark.parametrize("upload", sorted(UPLOADS))
@pytest.mark.parametrize("case", sorted(ACTIVE_PDFS))
def test_active_pdfs_are_refused(world, upload, case):
    with pytest.raises(ValidationError):
        UPLOADS[upload](world, ACTIVE_PDFS[case], "memo.pdf")


@pytest.mark.parametrize("upload", sorted(UPLOADS))
def test_content_must_match_the_name(world, upload):
    for data, name in ((POLYGLOT, "memo.pdf"), (POLYGLOT, "map.png"),
                       (b"<html><script>alert(1)</script>", "memo.pdf"), (b"MZ\x90\x00", "a.pdf")):
        with pytest.raises(ValidationError):
            UPLOADS[upload](world, data, name)


@pytest.mark.parametrize("upload", sorted(UPLOADS))
def test_a_plain_pdf_is_accepted_and_paths_in_its_name_are_dropped(world, upload):
    result = UPLOADS[upload](world, PDF, "../../etc/..\\boot/x\u202efdp.pdf")
    name = getattr(result, "filename", None) or getattr(result, "evidence_name", "")
    assert "/" not in name and "\\" not in name and ".." not in name, name


def test_size_is_counted_while_streaming(world):
    big = PDF + b"0" * (2 * 2**20)  # the case study allows 1 MB
    with pytest.raises(ValidationError):
        _attach(world, big, "big.pdf")
    with pytest.raises(ValidationError):
        _activity(world, PDF + b"0" * (ce.EVIDENCE_MAX_BYTES + 1), "big.pdf")


def test_zip_bombs_are_refused(world, app):
    from tests.assignments.helpers import case_course  # noqa: F401 - docx is allowed there
    with pytest.raises(ValidationError):
        _attach(world, zip_bomb(), "memo.docx")
    _attach(world, docx_bytes(), "memo.docx")  # a real .docx passes


def test_downloads_are_attachments_never_sniffed(world):
    attachment = world.values["attachment_id"]
    client = world.clients["learner"]
    hop = client.get(f"/assignments/files/{attachment}")
    final = client.get(hop.headers["Location"])
    assert final.headers["Content-Disposition"].startswith("attachment;")
    assert final.headers["X-Content-Type-Options"] == "nosniff"
    assert final.mimetype == "application/pdf"


# --------------------------------------------------------------------------- read-only checks


@pytest.fixture
def checker(app):
    """An anonymous client (the checks need no account) with the page's CSRF check off."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


@pytest.mark.parametrize("upload", sorted(CHECKS))
@pytest.mark.parametrize("case", sorted(ACTIVE_PDFS))
def test_active_pdfs_are_not_opened_and_say_so(checker, upload, case):
    status, text, body = CHECKS[upload](checker, ACTIVE_PDFS[case], "certificate.pdf")
    assert status == 200
    assert "active content" in text and "not a genuine certificate" in text
    if body is not None:
        assert body["is_pdf"] and not body["signature_valid"] and body["credential_id"] is None


@pytest.mark.parametrize("upload", sorted(CHECKS))
def test_content_not_the_name_decides_what_a_check_reads(checker, upload):
    for data, name in ((POLYGLOT, "certificate.pdf"), (POLYGLOT, "map.png"),
                       (b"<html><script>alert(1)</script>", "certificate.pdf"),
                       (b"MZ\x90\x00", "a.pdf"), (b"PK\x03\x04" + b"\x00" * 40, "c.pdf")):
        status, text, body = CHECKS[upload](checker, data, name)
        assert status == 200 and "This file is not a PDF" in text, name
        assert "<script>alert(1)" not in text
        if body is not None:
            assert not body["is_pdf"] and not body["signature_valid"]


@pytest.mark.parametrize("upload", sorted(CHECKS))
def test_a_check_never_uses_the_files_name(checker, upload):
    for name in ("../../etc/..\\boot/x\u202efdp.pdf", "<img src=x onerror=alert(1)>.pdf",
                 "a" * 5000 + ".pdf", "con.pdf", "..", "x\x00.pdf"):
        status, text, _ = CHECKS[upload](checker, PDF, name)
        assert status == 200, name
        assert "This PDF" in text  # the check's own answer (this stub is no real PDF)
        assert "etc/" not in text and "onerror" not in text and "boot" not in text


@pytest.mark.parametrize("upload", sorted(CHECKS))
def test_empty_and_oversized_checks_get_clear_messages(checker, app, upload):
    status, text, _ = CHECKS[upload](checker, b"", "certificate.pdf")
    assert status in (400, 422) and "The file is empty" in text
    app.config["VERIFY_UPLOAD_MAX_BYTES"] = 1000
    status, text, _ = CHECKS[upload](checker, PDF + b"0" * 1000, "certificate.pdf")
    assert status in (413, 422) and "larger than any certificate" in text
    status, text, _ = CHECKS[upload](checker, PDF + b"0" * (200 * 1024), "certificate.pdf")
    assert status == 413 and "larger" in text


class _Endless:
    """A request body that never ends (a client streaming a huge file), counting reads."""

    def __init__(self) -> None:
        self.read_bytes = 0
        self.head = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; "
                     b"filename=\"c.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n")

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else size
        chunk, self.head = (self.head[:size], self.head[size:]) if self.head else (
            b"0" * size, b"")
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize("path", ["/api/v1/verify/pdf", "/verify/pdf"])
def test_check_uploads_are_counted_while_streaming(app, path):
    """A body with no Content-Length (chunked) is cut as soon as it passes the cap; one that
    declares too much is refused before a byte is read. Never a 500."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    from lms.verify.limits import MULTIPART_SLACK

    def post(stream: _Endless, length: str | None) -> tuple[int, str]:
        """Straight through the WSGI app: the test client would measure the stream first."""
        environ = EnvironBuilder(path=path, method="POST",
                                 content_type="multipart/form-data; boundary=B").get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input"] = stream
        if length is None:
            environ["wsgi.input_terminated"] = True  # chunked: the server ends the stream
        else:
            environ["CONTENT_LENGTH"] = length
        body, status, headers = run_wsgi_app(app, environ, buffered=True)
        return int(status.split()[0]), headers.get("Content-Type", "")

    app.config["VERIFY_UPLOAD_MAX_BYTES"] = 100 * 1024
    body = _Endless()
    status, content_type = post(body, None)
    assert status == 413
    assert 100 * 1024 < body.read_bytes <= 100 * 1024 + MULTIPART_SLACK + 2 * 65536
    declared = _Endless()
    status, content_type = post(declared, str(50 * 2**20))
    assert status == 413 and declared.read_bytes == 0
    if path.startswith("/api/"):
        assert content_type.startswith("application/problem+json")

"""File storage: one interface, two backends chosen by configuration.

- A folder (default): `UPLOAD_DIR`, `instance/uploads` unless set. Files are served by the
  app's signed download route.
- S3-compatible object storage through boto3: `STORAGE_URL=s3://bucket/prefix`, with
  `STORAGE_ENDPOINT_URL` for MinIO/Ceph/other providers; credentials and region come from the
  environment as boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION,
  or an instance role). The download route redirects to a presigned URL valid for a minute.

    key = storage.put(stream, "application/pdf", max_bytes=10 * 2**20, filename="essay.pdf")
    with storage.open(key) as f: f.read()
    storage.url_for_download(key, "essay.pdf")   # a signed link that expires
    storage.delete(key)

Keys are random (the file's name is never part of the key or the path, only metadata); a
write is atomic (a folder write goes to a temporary file renamed into place, an S3 upload
appears whole or not at all); the size limit is enforced while the stream is read, and a file
over it raises FileTooLarge with nothing stored. Callers keep the key (and the name to show)
in their own rows; features check what a file *is* (by content) before storing it.

Course assets stay in the database (courses.models.CourseAsset): they are small, versioned
with the course's revisions and imported in one transaction with it, and a database backup
holds them with the course; moving them would split one atomic import across two systems.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote, unquote

from flask import Blueprint, Flask, abort, current_app, redirect, send_file, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from lms import clock
from lms.errors import NotFound, ValidationError

CHUNK = 64 * 1024
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
_CONTENT_TYPE_RE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
DOWNLOAD_SALT = "file-download"
#: How long the presigned S3 URL that the download route redirects to stays valid.
PRESIGNED_SECONDS = 60


class FileTooLarge(ValidationError):
    pass


@dataclass
class StoredFile:
    """An open stored file: read it like a file (`with storage.open(key) as f`)."""

    stream: IO[bytes]
    content_type: str
    size: int
    filename: str | None

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> StoredFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Backend(Protocol):
    def put(self, key: str, chunks: Iterator[bytes], content_type: str,
            filename: str | None) -> None: ...
    def open(self, key: str) -> StoredFile: ...
    def delete(self, key: str) -> None: ...
    def presigned_url(self, key: str, filename: str, seconds: int) -> str | None: ...


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    raise AssertionError("unreachable")


def _chunks(stream: IO[bytes], max_bytes: int) -> Iterator[bytes]:
    """The stream in chunks; FileTooLarge as soon as it passes max_bytes (not after)."""
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:
            raise FileTooLarge(f"The file is larger than the {human_size(max_bytes)} allowed.")
        yield chunk


#: PDF names that run script, launch programs, carry files or act on opening: a PDF upload
#: holding any is refused (people upload documents to be read, not programs).
PDF_ACTIVE_NAMES = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles",
                    b"/OpenAction", b"/AA", b"/RichMedia", b"/XFA", b"/SubmitForm",
                    b"/ImportData", b"/GoToE")
_PDF_NAME_RE = re.compile(rb"/[A-Za-z0-9#]+")
_PDF_STREAM_RE = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
#: How much of a PDF's compressed streams is inflated to look inside (bomb-safe bound).
PDF_INFLATE_LIMIT = 32 * 2**20


def _pdf_names(data: bytes) -> set[bytes]:
    def plain(name: bytes) -> bytes:  # /J#61vaScript is /JavaScript
        return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)

    return {plain(m.group(0)) for m in _PDF_NAME_RE.finditer(data)}


def pdf_active_content(stream: IO[bytes], max_bytes: int) -> str | None:
    """The first active-content name (/JavaScript, /Launch, /EmbeddedFile...) in the PDF
    `stream` (seekable, left at 0), looking in compressed object streams too; None if clean."""
    import zlib

    data = stream.read(max_bytes + 1)
    stream.seek(0)
    names = _pdf_names(data)
    budget = PDF_INFLATE_LIMIT
    for match in _PDF_STREAM_RE.finditer(data):
        if budget <= 0:
            return "/ObjStm (too much compressed content to check)"
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        names |= _pdf_names(inflated)
    found = [n for n in PDF_ACTIVE_NAMES if n in names]
    return found[0].decode() if found else None


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise NotFound("No such file.")
    return key


# ---------------------------------------------------------------- folder backend


class FolderStorage:
    """Files under `root/ab/<key>` with a `<key>.json` beside each for its metadata."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, key, chunks, content_type, filename) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            meta = json.dumps({"content_type": content_type, "filename": filename,
                               "size": size})
            _write_atomically(target.with_suffix(".json"), meta.encode())
            os.replace(tmp, target)  # the file appears whole, or not at all
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            target.with_suffix(".json").unlink(missing_ok=True)
            raise

    def open(self, key) -> StoredFile:
        path = self._path(key)
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
            stream = path.open("rb")
        except FileNotFoundError as err:
            raise NotFound("No such file.") from err
        return StoredFile(stream, meta["content_type"], meta["size"], meta.get("filename"))

    def delete(self, key) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)

    def presigned_url(self, key, filename, seconds) -> None:
        return None  # served by the app's download route


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".meta-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- S3 backend


class S3Storage:
    """Objects `prefix/<key>` in one bucket (which must exist); metadata on the object."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
            config=BotoConfig(signature_version="s3v4", retries={"max_attempts": 3},
                              s3={"addressing_style": "path" if endpoint_url else "auto"}))

    def _name(self, key: str) -> str:
        return self.prefix + key

    def put(self, key, chunks, content_type, filename) -> None:
        # Read (and size-check) the whole stream before anything reaches the bucket; small
        # files stay in memory, larger ones spill to a temporary file.
        with tempfile.SpooledTemporaryFile(max_size=4 * 2**20) as spool:
            for chunk in chunks:
                spool.write(chunk)
            spool.seek(0)
            metadata = {"filename": quote(filename)} if filename else {}
            self.client.upload_fileobj(spool, self.bucket, self._name(key), ExtraArgs={
                "ContentType": content_type, "Metadata": metadata})

    def open(self, key) -> StoredFile:
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise NotFound("No such file.") from err
            raise
        filename = obj.get("Metadata", {}).get("filename")
        return StoredFile(obj["Body"], obj.get("ContentType") or "application/octet-stream",
                          obj["ContentLength"], unquote(filename) if filename else None)

    def delete(self, key) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def presigned_url(self, key, filename, seconds) -> str:
        """A URL for the object valid for `seconds`; NotFound (our page, not the bucket's XML
        error) when it is gone."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise NotFound("No such file.") from err
            raise
        return self.client.generate_presigned_url("get_object", ExpiresIn=seconds, Params={
            "Bucket": self.bucket, "Key": self._name(key),
            "ResponseContentDisposition": content_disposition(filename)})


# ---------------------------------------------------------------- the interface


def make_backend(config: dict[str, Any]) -> Backend:
    url = config.get("STORAGE_URL")
    if not url:
        return FolderStorage(config["UPLOAD_DIR"])
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"STORAGE_URL {url!r} names no bucket (s3://bucket/prefix)")
        return S3Storage(bucket, prefix, config.get("STORAGE_ENDPOINT_URL"))
    if url.startswith("file://"):
        return FolderStorage(url[len("file://"):])
    raise ValueError(f"STORAGE_URL {url!r}: use s3://bucket/prefix or leave it unset")


def backend() -> Backend:
    return current_app.extensions["storage"]


def put(stream: IO[bytes], content_type: str, *, max_bytes: int,
        filename: str | None = None) -> str:
    """Store the stream under a new random key and return the key."""
    if not _CONTENT_TYPE_RE.match(content_type or ""):
        content_type = "application/octet-stream"
    key = secrets.token_urlsafe(24)
    backend().put(key, _chunks(stream, max_bytes), content_type, filename)
    return key


def open(key: str) -> StoredFile:  # noqa: A001 - the storage interface's own verb
    """The stored file (a readable stream with content_type, size, filename); NotFound."""
    return backend().open(_check_key(key))


def delete(key: str) -> None:
    """Remove the file; deleting a missing key does nothing."""
    backend().delete(_check_key(key))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DOWNLOAD_SALT)


def url_for_download(key: str, filename: str, *, max_age: int | None = None,
                     _external: bool = False) -> str:
    """A signed link to download the file as `filename`, valid for `max_age` seconds
    (DOWNLOAD_LINK_MAX_AGE). Whoever has the link can download until then: authorise first."""
    seconds = max_age if max_age is not None else current_app.config["DOWNLOAD_LINK_MAX_AGE"]
    expires = int((clock.now() + timedelta(seconds=seconds)).timestamp())
    token = _serializer().dumps({"k": _check_key(key), "n": filename, "e": expires})
    return url_for("files.download", token=token, _external=_external)


def content_disposition(filename: str) -> str:
    ascii_name = re.sub(r'[^A-Za-z0-9._ -]', "_", filename).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


bp = Blueprint("files", __name__)


@bp.route("/files/<token>")
def download(token: str):
    try:
        data = _serializer().loads(token)
    except BadSignature:
        abort(404)
    if not isinstance(data, dict) or int(data.get("e", 0)) < clock.now().timestamp():
        abort(403, description="This download link has expired. Go back to the page you "
                               "came from and download the file again.")
    key, filename = data.get("k", ""), str(data.get("n") or "download")
    try:
        _check_key(key)
        direct = backend().presigned_url(key, filename, PRESIGNED_SECONDS)
        if direct:
            response = redirect(direct, code=302)
        else:
            stored = backend().open(key)
            response = send_file(stored.stream, mimetype=stored.content_type,
                                 as_attachment=True, download_name=filename,
                                 conditional=False, max_age=0)
            response.headers["Content-Disposition"] = content_disposition(filename)
            response.content_length = stored.size
    except NotFound:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.extensions["storage"] = make_backend(app.config)
    app.register_blueprint(bp)

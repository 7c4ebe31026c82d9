"""lms/storage.py: one interface, tested the same way against both backends.

- "folder": files under a temporary UPLOAD_DIR;
- "s3": boto3 over HTTP against moto's S3 server (`moto[server]`) started on loopback, so the
  real request signing, upload and presigned-URL path is exercised.
"""
from __future__ import annotations

import io
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from lms import storage
from lms.errors import NotFound
from tests.auth.test_mail_smtp import free_port

S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_DEFAULT_REGION": "us-east-1"}
LIMIT = 200 * 1024


def start_moto():
    """(server, endpoint URL) of moto's S3 server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def moto_endpoint():
    server, endpoint = start_moto()
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(params=["folder", "s3"])
def store(request, app, tmp_path, monkeypatch):
    """The app with a fresh backend of each kind; yields a function listing what is stored."""
    if request.param == "folder":
        root = tmp_path / "files"
        backend = storage.FolderStorage(root)

        def listing() -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    else:
        for key, value in S3_ENV.items():
            monkeypatch.setenv(key, value)
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = f"lms-{uuid.uuid4().hex[:12]}"
        backend = storage.make_backend({"STORAGE_URL": f"s3://{bucket}/uploads",
                                        "STORAGE_ENDPOINT_URL": endpoint})
        backend.client.create_bucket(Bucket=bucket)

        def listing() -> list[str]:
            found = backend.client.list_objects_v2(Bucket=bucket).get("Contents", [])
            return sorted(obj["Key"] for obj in found)
    saved = app.extensions["storage"]
    app.extensions["storage"] = backend
    try:
        yield listing
    finally:
        app.extensions["storage"] = saved


class Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


class Broken(io.RawIOBase):
    """A stream that fails half-way (the client went away mid-upload)."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            raise OSError("connection reset by peer")
        n = min(len(buffer), self.left)
        buffer[:n] = b"y" * n
        self.left -= n
        return n


def test_put_then_open_gives_back_the_bytes_and_metadata(store):
    data = bytes(range(256)) * 700  # larger than one chunk
    key = storage.put(io.BytesIO(data), "application/pdf", max_bytes=LIMIT,
                      filename="Évaluation finale.pdf")
    with storage.open(key) as stored:
        assert stored.read() == data
        assert stored.content_type == "application/pdf"
        assert stored.size == len(data)
        assert stored.filename == "Évaluation finale.pdf"


def test_keys_are_random_and_never_hold_the_file_name(store):
    keys = {storage.put(io.BytesIO(b"same"), "text/plain", max_bytes=LIMIT,
                        filename="../../etc/passwd") for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        assert storage.KEY_RE.match(key)
    assert all("passwd" not in name and ".." not in name for name in store())


def test_a_file_of_exactly_the_limit_is_stored(store):
    key = storage.put(io.BytesIO(b"z" * LIMIT), "text/plain", max_bytes=LIMIT)
    assert storage.open(key).size == LIMIT


def test_the_limit_is_enforced_while_reading_and_nothing_is_stored(store):
    stream = Endless()
    with pytest.raises(storage.FileTooLarge, match="larger than the 200 KB allowed"):
        storage.put(stream, "text/plain", max_bytes=LIMIT)
    assert stream.read_bytes <= LIMIT + storage.CHUNK  # it stopped reading, not read it all
    assert store() == []


def test_an_upload_that_fails_half_way_leaves_nothing(store):
    with pytest.raises(OSError, match="connection reset"):
        storage.put(Broken(good=3 * storage.CHUNK), "text/plain", max_bytes=LIMIT)
    assert store() == []


def test_delete_removes_the_file_and_is_quiet_for_missing_ones(store):
    key = storage.put(io.BytesIO(b"bye"), "text/plain", max_bytes=LIMIT)
    storage.delete(key)
    with pytest.raises(NotFound):
        storage.open(key)
    storage.delete(key)
    assert store() == []


@pytest.mark.parametrize("key", ["../../secret_key", "", "a" * 31, "a/" + "b" * 30])
def test_malformed_keys_are_not_found(store, key):
    with pytest.raises(NotFound):
        storage.open(key)


def test_an_odd_content_type_is_stored_as_octet_stream(store):
    key = storage.put(io.BytesIO(b"<x>"), "text/html; charset=utf-8\r\nX-Evil: 1",
                      max_bytes=LIMIT)
    assert storage.open(key).content_type == "application/octet-stream"


def download(client, url: str) -> tuple[int, dict, bytes]:
    """Follow the app's link; a redirect (S3) is followed over real HTTP to the bucket."""
    response = client.get(url)
    if response.status_code != 302:
        return response.status_code, dict(response.headers), response.get_data()
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as direct:  # noqa: S310
        return direct.status, dict(direct.headers), direct.read()


def test_the_download_link_serves_the_file_as_an_attachment(store, app, client):
    key = storage.put(io.BytesIO(b"<script>alert(1)</script>"), "text/html", max_bytes=LIMIT)
    with app.test_request_context():
        url = storage.url_for_download(key, "Rapport d’étape.html")
    status, headers, body = download(client, url)
    assert status == 200 and body == b"<script>alert(1)</script>"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Rapport%20d%E2%80%99%C3%A9tape.html" in disposition


def test_the_folder_route_sets_safe_headers(store, app, client):
    if isinstance(app.extensions["storage"], storage.S3Storage):
        response = client.get(_link(app, store))
        assert response.status_code == 302
        assert "X-Amz-Expires=60" in response.headers["Location"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        return
    response = client.get(_link(app, store))
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Type"].startswith("text/plain")


def _link(app, store) -> str:
    key = storage.put(io.BytesIO(b"hello"), "text/plain", max_bytes=LIMIT)
    with app.test_request_context():
        return storage.url_for_download(key, "hello.txt")


def test_download_links_expire(store, app, client, now):
    app.config["FROZEN_NOW"] = now
    key = storage.put(io.BytesIO(b"hello"), "text/plain", max_bytes=LIMIT)
    with app.test_request_context():
        url = storage.url_for_download(key, "hello.txt", max_age=60)
    app.config["FROZEN_NOW"] = now + timedelta(seconds=59)
    assert client.get(url).status_code in (200, 302)
    app.config["FROZEN_NOW"] = now + timedelta(seconds=61)
    response = client.get(url)
    assert response.status_code == 403
    assert "download link has expired" in response.get_data(as_text=True)


def test_forged_and_dangling_links_are_not_found(store, app, client):
    key = storage.put(io.BytesIO(b"hello"), "text/plain", max_bytes=LIMIT)
    with app.test_request_context():
        url = storage.url_for_download(key, "hello.txt")
    token = url.rsplit("/", 1)[1]
    assert client.get("/files/" + token[:-2] + "xx").status_code == 404
    forged = storage.URLSafeSerializer("not-the-key", salt=storage.DOWNLOAD_SALT).dumps(
        {"k": key, "n": "x", "e": 2**40})
    assert client.get("/files/" + forged).status_code == 404
    storage.delete(key)
    assert client.get(url).status_code == 404


def test_backends_are_chosen_by_configuration(tmp_path, monkeypatch):
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    folder = storage.make_backend({"STORAGE_URL": None, "UPLOAD_DIR": str(tmp_path)})
    assert isinstance(folder, storage.FolderStorage) and folder.root == Path(tmp_path)
    s3 = storage.make_backend({"STORAGE_URL": "s3://bucket/some/prefix/",
                               "STORAGE_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert (s3.bucket, s3.prefix) == ("bucket", "some/prefix/")
    assert storage.make_backend({"STORAGE_URL": "s3://bucket"}).prefix == ""
    for bad in ["s3://", "ftp://host/x"]:
        with pytest.raises(ValueError, match="STORAGE_URL"):
            storage.make_backend({"STORAGE_URL": bad})


def test_the_default_is_a_folder_under_instance(tmp_path, monkeypatch):
    from lms.config import Config

    for name in ("STORAGE_URL", "UPLOAD_DIR"):
        monkeypatch.delenv(name, raising=False)
    backend = storage.make_backend(vars(Config(str(tmp_path))))
    assert isinstance(backend, storage.FolderStorage)
    assert backend.root == tmp_path / "uploads"


@pytest.mark.parametrize(("n", "text"), [(0, "0 bytes"), (1023, "1023 bytes"),
                                         (200 * 1024, "200 KB"), (10 * 2**20, "10 MB"),
                                         (1536, "1.5 KB")])
def test_sizes_read_well(n, text):
    assert storage.human_size(n) == text

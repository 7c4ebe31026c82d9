"""Static files: content-hashed URLs, a year of caching for them, gzip for text files."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "lms" / "static"


def test_pages_link_static_files_by_content_hash(client):
    page = client.get("/account/signin").get_data(as_text=True)
    found = re.search(r'href="(/static/css/site\.css\?v=([0-9a-f]{12}))"', page)
    assert found, "site.css is linked with its content hash"
    digest = hashlib.sha256((STATIC / "css" / "site.css").read_bytes()).hexdigest()[:12]
    assert found.group(2) == digest


def test_a_versioned_file_is_cached_for_a_year_and_gzipped(client):
    data = (STATIC / "css" / "site.css").read_bytes()
    v = hashlib.sha256(data).hexdigest()[:12]
    response = client.get(f"/static/css/site.css?v={v}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == data


def test_unversioned_or_stale_urls_and_plain_clients_get_the_plain_file(client):
    data = (STATIC / "css" / "site.css").read_bytes()
    for url in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")
        assert "Content-Encoding" not in response.headers
        assert response.data == data
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/nothing-here.css?v=1").status_code == 404

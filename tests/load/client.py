"""A browser-like HTTP client for the load generator (standard library only): keeps cookies,
reads CSRF tokens from the pages, posts forms and files, never follows redirects by itself,
and records every request it sends in the shared `Log`."""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FLASH = re.compile(r'<p class="flash flash-(\w+)"[^>]*>(.*?)</p>', re.S)


@dataclass
class Request:
    start: float
    end: float
    method: str
    path: str
    status: int | None  # None: no answer (connection refused or reset, timeout)
    error: str = ""


@dataclass
class Log:
    """Every request of the run; `budget` caps how many may be sent."""

    budget: int
    deadline: float
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    @property
    def spent(self) -> bool:
        return len(self.requests) >= self.budget or time.monotonic() > self.deadline


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int | None, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return urllib.parse.urlsplit(self.headers.get("Location", "")).path

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def flashes(self) -> list[tuple[str, str]]:
        return FLASH.findall(self.text)


class Browser:
    def __init__(self, base: str, log: Log):
        self.base = base
        self.log = log
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        self.token = ""

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> Response:
        req = urllib.request.Request(self.base + path, data=body, method=method,  # noqa: S310
                                     headers=headers or {})
        start = time.monotonic()
        status: int | None = None
        error = ""
        try:
            with self.opener.open(req, timeout=30) as answer:
                status, head, data = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as err:
            status, head, data = err.code, dict(err.headers), err.read()
        except (OSError, http.client.HTTPException) as err:
            head, data, error = {}, b"", f"{type(err).__name__}: {err}"
        self.log.add(Request(start, time.monotonic(), method, path.split("?")[0], status,
                             error))
        response = Response(status, head, data)
        found = TOKEN.search(response.text) if response.ok else None
        if found:
            self.token = found.group(1)
        return response

    def get(self, path: str, **headers: str) -> Response:
        return self.send("GET", path, headers=headers)

    def post(self, path: str, data: dict[str, str]) -> Response:
        body = urllib.parse.urlencode({"csrf_token": self.token, **data}).encode()
        return self.send("POST", path, body,
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, data: object) -> Response:
        return self.send("POST", path, json.dumps(data).encode(),
                         {"Content-Type": "application/json", "Accept": "application/json"})

    def post_files(self, path: str, data: dict[str, str],
                   files: dict[str, tuple[str, bytes, str]]) -> Response:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in {"csrf_token": self.token, **data}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                         f"\r\n\r\n{value}\r\n".encode())
        for name, (filename, content, mimetype) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: {mimetype}\r\n\r\n'.encode()
                         + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.send("POST", path, b"".join(parts),
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def follow(self, response: Response) -> Response | None:
        """The page a redirect leads to (None when the answer was not a redirect)."""
        if response.status not in (302, 303) or not response.location:
            return None
        return self.get(response.location)

    def acknowledged(self, response: Response) -> bool:
        """A form post the site accepted: redirected to a page (2xx) with a success message."""
        page = self.follow(response)
        return bool(page is not None and page.ok
                    and any(kind == "success" for kind, _ in page.flashes()))

    def sign_in(self, email: str, password: str) -> bool:
        if not self.get("/account/signin").ok:
            return False
        answer = self.post("/account/signin", {"email": email, "password": password})
        if answer.status != 302:
            return False
        return self.get("/dashboard").ok  # picks up the signed-in session's token

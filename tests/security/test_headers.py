"""Headers, cookies and account enumeration.

- Every HTML page: a CSP with no inline script (`script-src 'self'`, no 'unsafe-inline'/eval),
  `frame-ancestors 'none'`, a Referrer-Policy, nosniff; HSTS when served over HTTPS.
- Every page a signed-in person opens: `Cache-Control: private, no-store` (except the static
  files and course assets, which choose their own caching, and `PUBLIC_CACHEABLE`: public,
  non-personal API documents that shared caches may keep; the test checks that what they
  return to a signed-in person is byte for byte what an anonymous visitor gets).
- Cookies under HTTPS: Secure, HttpOnly, SameSite=Lax.
- Sign-in, registration and password reset answer the same for a known and an unknown address.
"""
from __future__ import annotations

import re

from lms.extensions import limiter
from tests.security.walk import routes, url_for_rule

#: Routes whose responses choose their own caching (public files).
OWN_CACHING = {"static", "courses.asset"}
#: Public, non-personal endpoints that are `public` cacheable even for a signed-in person:
#: the OpenAPI document and its page, the Open Badges issuer, key set, achievement and status
#: lists, and the JSON verification result (what anyone may look up by the credential's ID).
#: (/api/docs is an HTML page in the layout, which names the signed-in person: it is public
#: for anonymous visitors only, and private, no-store once signed in.)
PUBLIC_CACHEABLE = {"verify_api.openapi", "verify_api.ob_issuer",
                    "verify_api.ob_jwks", "verify_api.ob_achievement", "verify_api.ob_status",
                    "verify_api.ob_status_root", "verify_api.verify_one"}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]*"')


def _unsigned(body: bytes) -> bytes:
    """A compact JWS without its signature (ECDSA signatures differ on every signing)."""
    parts = body.strip().split(b".")
    return b".".join(parts[:2]) if len(parts) == 3 and b" " not in body.strip() else body


def _csp(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_every_page_sends_the_security_headers(app, world):
    failures = []
    for person in ("anon", "learner", "inst", "admin"):
        for key, rule, method in routes(app):
            if method != "GET":
                continue
            limiter.reset()
            url = url_for_rule(rule, world.values_for(rule))
            response = world.clients[person].get(url)
            where = f"{key} as {person}"
            headers = response.headers
            if headers.get("X-Content-Type-Options") != "nosniff":
                failures.append(f"{where}: no nosniff")
            if not headers.get("Referrer-Policy"):
                failures.append(f"{where}: no Referrer-Policy")
            csp = _csp(response)
            if "frame-ancestors" not in csp and headers.get("X-Frame-Options") != "DENY":
                failures.append(f"{where}: may be framed")
            script = csp.get("script-src", csp.get("default-src", ""))
            if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
                failures.append(f"{where}: CSP allows inline script: {script!r}")
            if response.mimetype == "text/html":
                if csp.get("frame-ancestors") != "frame-ancestors 'none'":
                    failures.append(f"{where}: frame-ancestors is {csp.get('frame-ancestors')}")
                if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.get_data(as_text=True)):
                    failures.append(f"{where}: inline <script> in the page")
            if person != "anon" and rule.endpoint in PUBLIC_CACHEABLE:
                anon = world.clients["anon"].get(url)
                if _unsigned(anon.get_data()) != _unsigned(response.get_data()):
                    failures.append(f"{where}: public cacheable but not the anonymous answer")
                if "public" not in headers.get("Cache-Control", "") and response.status_code < 400:
                    failures.append(f"{where}: listed public cacheable but sends "
                                    f"{headers.get('Cache-Control')!r}")
                continue
            if (person != "anon" and rule.endpoint not in OWN_CACHING
                    and response.status_code < 400):
                cache = headers.get("Cache-Control", "")
                if "private" not in cache or "no-store" not in cache:
                    failures.append(f"{where}: Cache-Control {cache!r}")
    assert not failures, "\n".join(failures)


def test_hsts_only_over_https(app, client):
    secure = client.get("/", base_url="https://localhost")
    hsts = secure.headers.get("Strict-Transport-Security", "")
    assert "max-age=" in hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15552000
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_cookies_are_secure_httponly_lax_under_https(app, make_user):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    user = make_user()
    client = app.test_client()
    response = client.post("/account/signin", base_url="https://localhost",
                           data={"email": user.email, "password": "correct-horse-battery",
                                 "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "signing in sets the session cookie"
    for cookie in cookies:
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly"} <= flags, cookie
        assert "samesite=lax" in cookie.lower().replace(" ", ""), cookie


def _same(a, b, a_email: str, b_email: str) -> None:
    """Same status and page, once the token and the address typed (echoed in its field) go."""
    assert a.status_code == b.status_code

    def strip(response, email):
        return TOKEN.sub("", response.get_data(as_text=True)).replace(email, "EMAIL")

    assert strip(a, a_email) == strip(b, b_email)


def test_no_account_enumeration(app, make_user, client):
    known = make_user(email="known@example.org")
    unknown = "unknown@example.org"

    def post(url, **data):
        limiter.reset()
        return app.test_client().post(url, data=data)

    _same(post("/account/signin", email=known.email, password="wrong-password-1"),
          post("/account/signin", email=unknown, password="wrong-password-1"),
          known.email, unknown)
    _same(post("/account/forgot", email=known.email), post("/account/forgot", email=unknown),
          known.email, unknown)
    fields = {"name": "Someone New", "password": "a-long-password-9", "confirm":
              "a-long-password-9"}
    taken = post("/account/register", email=known.email, **fields)
    fresh = post("/account/register", email="brand-new@example.org", **fields)
    assert taken.status_code == fresh.status_code
    assert taken.headers.get("Location") == fresh.headers.get("Location")

"""The verification JSON API, ``/api/v1``, and its human-readable page ``/api/docs``.

Errors are RFC 9457 problem+json (``lms.web.problem``; unknown paths, wrong methods, oversized
bodies and rate limits under ``/api/`` get the same from the app's error handlers). Cacheable
GETs carry an ETag and Cache-Control and answer ``If-None-Match`` with 304. Any origin may GET
(CORS); the POST endpoints take no cookies, so they need no CSRF token.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_login import current_user

from lms import clock
from lms.credentials.public import LOOKUP_CACHE_SECONDS
from lms.errors import NotFound, ValidationError
from lms.extensions import csrf
from lms.storage import FileTooLarge
from lms.verify import keys, services
from lms.verify.limits import batch_limit, cap_uploads, lookup_limit
from lms.verify.openapi import document as openapi_document
from lms.verify.problems import problem

bp = Blueprint("verify_api", __name__, template_folder="templates")
csrf.exempt(bp)
bp.url_value_preprocessor(cap_uploads("verify_api.verify_pdf"))

JWT_MIMETYPE = "application/vc+jwt"
#: How long shared caches may keep an answer: statuses change (a revocation shows within a
#: minute); the key, issuer and API description change rarely.
SHORT_CACHE = f"public, max-age={LOOKUP_CACHE_SECONDS}"
LONG_CACHE = "public, max-age=3600"


def cacheable(response: Response, cache_control: str, etag: str | None = None) -> Response:
    """ETag (of the body, unless given) and Cache-Control; 304 when the client's If-None-Match
    matches."""
    response.headers["Cache-Control"] = cache_control
    if etag is None:
        response.add_etag()
    else:
        response.set_etag(etag)
    response.make_conditional(request)  # in place: 304 and an empty body when it matches
    return response


def _json(body: object, cache_control: str | None = None) -> Response:
    response = jsonify(body)
    return cacheable(response, cache_control) if cache_control else response


@bp.after_app_request
def api_headers(response: Response) -> Response:
    """CORS for the API: any origin may read it with GET; POST stays same-origin."""
    if request.path.startswith("/api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        response.headers["Access-Control-Expose-Headers"] = (
            "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
            "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
        response.vary.add("Origin")
    return response


# --------------------------------------------------------------------------- description


@bp.get("/v1/openapi.json")
def openapi():
    return _json(openapi_document(), LONG_CACHE)


@bp.get("/docs")
def docs():
    response = current_app.make_response(
        render_template("verify/api_docs.html", spec=openapi_document(),
                        title="Verification API"))
    if current_user.is_authenticated:  # the layout names the person: never a shared cache
        return response
    return cacheable(response, LONG_CACHE)


# --------------------------------------------------------------------------- verification


@bp.get("/v1/verify/<path:credential_id>")
@lookup_limit
def verify_one(credential_id: str):
    found = services.find(credential_id, clock.now().date()).found
    if found is None:
        # The same answer for malformed and unknown IDs: nothing to enumerate.
        response = problem(404, services.NOT_FOUND_TEXT)
        response.headers["Cache-Control"] = SHORT_CACHE
        return response
    body, etag = _answer(found, current_app.config.get("BASE_URL") or request.url_root)
    return cacheable(current_app.response_class(body, mimetype="application/json"),
                     SHORT_CACHE, etag)


@lru_cache(maxsize=4096)
def _answer(found: services.PublicCredential, site: str) -> tuple[bytes, str]:
    """A credential's answer and its ETag: the same facts on the same site (`site`, the
    address its verify_url is built on) make the same bytes, so they are made once."""
    body: bytes = jsonify(services.as_json(found)).get_data()
    return body, hashlib.sha1(body, usedforsecurity=False).hexdigest()


@bp.post("/v1/verify/batch")
@batch_limit
def verify_batch():
    body = request.get_json(silent=True)
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list):
        return problem(400, 'Send a JSON object {"ids": [...]} with a list of credential IDs.')
    if len(ids) > services.BATCH_MAX:
        return problem(413, f"At most {services.BATCH_MAX} IDs per request "
                            f"(this one had {len(ids)}); split the list.",
                       max_ids=services.BATCH_MAX)
    return jsonify({"results": services.batch(ids, clock.now().date())})


@bp.post("/v1/verify/pdf")
@lookup_limit
def verify_pdf():
    upload = request.files.get("file")
    if upload is None:
        return problem(400, "Send the certificate as a multipart/form-data field named 'file'.")
    try:
        data = services.read_certificate(upload.stream)
    except FileTooLarge as err:
        return problem(413, str(err))
    except ValidationError as err:
        return problem(400, str(err))
    report = services.check_certificate(data, clock.now().date())
    check, found = report.check, report.credential
    return jsonify({
        "is_pdf": check.is_pdf,
        "signed": check.signed,
        "signature_valid": check.signature_valid,
        "trusted": check.trusted,
        "modified_after_signing": check.modified_after_signing,
        "credential_id": check.credential_id,
        "status": found.status if found else None,
        "credential": services.as_json(found) if found else None,
        "message": check.message,
    })


# --------------------------------------------------------------------------- Open Badges


@bp.get("/v1/ob/issuer")
def ob_issuer():
    from lms.verify.badges import issuer_profile

    return _json(issuer_profile(services.issuer()), LONG_CACHE)


@bp.get("/v1/ob/jwks.json")
def ob_jwks():
    return _json(keys.public_jwks(), LONG_CACHE)


@bp.get("/v1/ob/achievement")
def ob_achievement():
    from lms.credits.services import current_programme
    from lms.verify.badges import OB_CONTEXT, VC_CONTEXT, achievement

    body = {"@context": [VC_CONTEXT, OB_CONTEXT],
            **achievement(current_programme().credential.name,
                          services.external_url("verify_api.ob_achievement"),
                          services.issuer())}
    return _json(body, LONG_CACHE)


@bp.get("/v1/ob/status/<list_id>", endpoint="ob_status_root")
@bp.get("/v1/ob/status/<list_id>/<purpose>")
def ob_status(list_id: str, purpose: str = ""):
    try:
        token = services.status_list(list_id, purpose, clock.now().date())
    except NotFound as err:
        return problem(404, str(err))
    return cacheable(Response(token, mimetype=JWT_MIMETYPE), SHORT_CACHE)


@bp.post("/v1/ob/verify")
@lookup_limit
def ob_verify():
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        token = body.get("credential") if isinstance(body, dict) else None
    else:
        token = request.get_data(as_text=True, cache=False)
    if not isinstance(token, str) or not token.strip():
        return problem(400, 'Send the VC-JWT as the body (Content-Type: application/vc+jwt) '
                            'or as JSON {"credential": "<jwt>"}.')
    return jsonify(services.check_badge(token, clock.now().date()).as_json())

"""RFC 9457 problem details: every error of the API (``/api/...``) is one of these.

The app's error handlers (lms/web.py) answer any error under ``/api/`` with it too: unknown
paths, wrong methods, oversized bodies, rate limits.
"""
from __future__ import annotations

from flask import Response, jsonify
from werkzeug.http import HTTP_STATUS_CODES

MIMETYPE = "application/problem+json"


def problem(code: int, detail: str, **extra: object) -> Response:
    """``{"type": "about:blank", "title", "status", "detail", ...}`` as problem+json."""
    response = jsonify({"type": "about:blank", "title": HTTP_STATUS_CODES.get(code, "Error"),
                        "status": code, "detail": detail, **extra})
    response.status_code = code
    response.mimetype = MIMETYPE
    return response

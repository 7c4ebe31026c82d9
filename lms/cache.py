"""The shared cache (Flask-Caching): what changes only on import or edit, kept between requests.

Redis when ``CACHE_REDIS_URL`` (or ``REDIS_URL``) is set, so every gunicorn worker and every
server shares one copy; an in-process cache otherwise (one per worker). Keys carry the version
of what they were built from (a course's revision number, a content hash), so an edit made
through any worker is seen by every other at once: the new version is a new key, and the old
entry simply ages out. Nothing here is ever the only copy of anything.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache

cache = Cache()

T = TypeVar("T")

#: How long an entry lives when nothing replaces it (seconds).
DEFAULT_TIMEOUT = 3600

_MISSING = object()


def init_app(app: Flask) -> None:
    redis_url = app.config.get("CACHE_REDIS_URL")
    settings: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT,
        "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX", "lms:"),
    }
    if app.config.get("CACHE_TYPE"):
        settings["CACHE_TYPE"] = app.config["CACHE_TYPE"]
    elif redis_url:
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    else:
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    cache.init_app(app, config=settings)


def remembered(key: str, build: Callable[[], T], timeout: int | None = None) -> T:
    """The cached value of `key`, else `build()` stored under it. `key` must name the version
    of its inputs (e.g. ``outline:<course id>:<revision>``): entries are never invalidated,
    only superseded. A cache that fails (Redis down) costs a rebuild, never an error."""
    try:
        found = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not break a page
        found = None
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = build()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001 - see above  # pragma: no cover
        logging.getLogger(__name__).warning("cache unavailable: %s not stored", key)
    return value

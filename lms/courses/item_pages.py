"""How a quiz or assignment item page gets its extra context without courses importing them.

A feature registers a provider for its item kind: `register("quiz", fn)` where
`fn(item, enrolment, user) -> dict` adds template context for `courses/<kind>.html`.
"""
from __future__ import annotations

from collections.abc import Callable

_PROVIDERS: dict[str, Callable] = {}


def register(kind: str, provider: Callable) -> None:
    _PROVIDERS[kind] = provider


def context_for(item, enrolment, user) -> dict | None:
    provider = _PROVIDERS.get(item.kind)
    return provider(item, enrolment, user) if provider else None

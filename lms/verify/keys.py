"""The Open Badges issuer's signing key: an ES256 (P-256) JWK.

``OB_ISSUER_KEY_FILE`` names a private JWK file; unset, a key is generated into
``instance/ob_issuer_key.jwk`` on first use (like ``instance/secret_key``) and kept. The key is
read once per app. Its public half is published as a JWKS; its ``kid`` is the RFC 7638
thumbprint, so a new key gets a new ``kid``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, current_app
from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"
_EXTENSION = "lms.verify.issuer_key"


def _key_path(app: Flask) -> Path:
    configured = app.config.get("OB_ISSUER_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "ob_issuer_key.jwk"


def _load_or_create(path: Path) -> ECKey:
    if path.exists():
        key = ECKey.import_key(json.loads(path.read_text(encoding="utf-8")))
        if not key.is_private:
            raise RuntimeError(f"{path} holds a public key; the issuer needs its private key")
        return key
    key = ECKey.generate_key("P-256", private=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written with owner-only permissions from the start (never world-readable for a moment).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(key.as_dict(private=True), handle)
    return key


def issuer_key() -> ECKey:
    """The app's private issuer key (read or made once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = app.extensions.get(_EXTENSION)
    if key is None:
        try:
            key = _load_or_create(_key_path(app))
        except FileExistsError:  # another worker made it between our check and our write
            key = _load_or_create(_key_path(app))
        key.ensure_kid()
        app.extensions[_EXTENSION] = key
    return key


def public_jwks() -> dict:
    """The JWKS verifiers fetch: the public half of the issuer key, with its kid and alg."""
    key = issuer_key()
    public: dict[str, object] = dict(key.as_dict(private=False))
    public.update({"kid": key.kid, "alg": ALGORITHM, "use": "sig"})
    return {"keys": [public]}


def verification_keys(jwks: dict | None = None) -> KeySet:
    """A key set to verify signatures with: the published JWKS (or one given)."""
    return KeySet.import_key_set(jwks or public_jwks())  # type: ignore[arg-type]

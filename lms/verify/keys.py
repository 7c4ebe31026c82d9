"""The Open Badges issuer's signing keys: the current ES256 (P-256) private JWK, and the public
halves of the keys it replaced.

``OB_ISSUER_KEY_FILE`` names the current private JWK file; unset, a key is generated into
``instance/ob_issuer_key.jwk`` on first use (like ``instance/secret_key``) and kept.
``OB_RETIRED_KEYS_FILE`` names a JWKS (``{"keys": [...]}``) of keys no longer used to sign;
unset, ``instance/ob_retired_keys.jwks`` (absent until the first rotation). Only their public
halves are ever read from it or published.

The published JWKS is the current key, then every retired one, each with its ``kid`` (the RFC
7638 thumbprint unless the file names another): a badge names its key by ``kid``, so one
signed before a rotation still verifies after it. :func:`rotate` (``flask verify rotate-key``)
makes a new key and moves the old one's public half to the retired keys. Both files are read
again when they change (modification time, size, inode), so every worker picks a rotation up
without a restart.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"
_EXTENSION = "lms.verify.issuer_key"

Stamp = tuple[int, int, int] | None


def _key_path(app: Flask) -> Path:
    configured = app.config.get("OB_ISSUER_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "ob_issuer_key.jwk"


def _retired_path(app: Flask) -> Path:
    configured = app.config.get("OB_RETIRED_KEYS_FILE")
    return (Path(configured) if configured
            else Path(app.instance_path) / "ob_retired_keys.jwks")


def _stamp(path: Path) -> Stamp:
    try:
        info = path.stat()
    except OSError:  # missing (or a path through a file): read as absent
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


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


def _public_half(key: ECKey) -> ECKey:
    public = ECKey.import_key(key.as_dict(private=False))
    public.ensure_kid()
    return public


def _read_retired(path: Path) -> tuple[ECKey, ...]:
    """The retired keys' public halves (any private member in the file is dropped)."""
    if not path.exists():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    listed = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        raise RuntimeError(f'{path} is not a JWKS: it must be {{"keys": [...]}}')
    return tuple(_public_half(ECKey.import_key(item)) for item in listed)


@dataclass(frozen=True)
class _Keys:
    stamps: tuple[Stamp, Stamp]
    current: ECKey  # private
    retired: tuple[ECKey, ...]  # public halves, newest first


def _keys(app: Flask) -> _Keys:
    """The keys, read once and again only when a file changes."""
    key_path, retired_path = _key_path(app), _retired_path(app)
    cached: _Keys | None = app.extensions.get(_EXTENSION)
    if cached is not None and cached.stamps == (_stamp(key_path), _stamp(retired_path)):
        return cached
    try:
        key = _load_or_create(key_path)
    except FileExistsError:  # another worker made it between our check and our write
        key = _load_or_create(key_path)
    key.ensure_kid()
    loaded = _Keys((_stamp(key_path), _stamp(retired_path)), key, _read_retired(retired_path))
    app.extensions[_EXTENSION] = loaded
    return loaded


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def issuer_key() -> ECKey:
    """The app's current private issuer key (made on first use)."""
    return _keys(_app()).current


def _published(key: ECKey) -> dict[str, object]:
    public: dict[str, object] = dict(key.as_dict(private=False))
    public.update({"kid": key.kid, "alg": ALGORITHM, "use": "sig"})
    return public


def public_jwks() -> dict:
    """The JWKS verifiers fetch: the current key's public half first, then the retired keys'
    (each kid once), with their kid and alg."""
    loaded = _keys(_app())
    seen = {loaded.current.kid}
    published = [_published(loaded.current)]
    for key in loaded.retired:
        if key.kid not in seen:
            seen.add(key.kid)
            published.append(_published(key))
    return {"keys": published}


def verification_keys(jwks: dict | None = None) -> KeySet:
    """A key set to verify signatures with: the published JWKS (or one given)."""
    return KeySet.import_key_set(jwks or public_jwks())  # type: ignore[arg-type]


def _replace(path: Path, content: dict, mode: int) -> None:
    """Write `path` whole or not at all (a temporary file beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def rotate() -> tuple[str, str]:
    """Sign with a new key from now on; the old key's public half stays published.

    The retired keys file is written first, so the old key is never unpublished even if the
    second write fails (then nothing changed but a duplicate, published once). Returns the
    old and the new kid."""
    app = _app()
    old = _keys(app)
    new = ECKey.generate_key("P-256", private=True)
    new.ensure_kid()
    retired = [_published(old.current)] + [_published(k) for k in old.retired
                                           if k.kid != old.current.kid]
    _replace(_retired_path(app), {"keys": retired}, 0o644)
    _replace(_key_path(app), dict(new.as_dict(private=True)), 0o600)
    app.extensions.pop(_EXTENSION, None)
    return str(old.current.kid), str(new.kid)

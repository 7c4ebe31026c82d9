"""Public verification: look IDs up, check a PDF, issue and check Open Badges, status lists.

Every function here reads; none writes (a verification leaves no trace but the rate limiter's
count). The credential's public facts and status come from ``lms.credentials.public`` (the CE
engine decides grace and expiry, a registrar suspension and revocation); time comes in as
``today``. What is public: the holder's certificate name, the credential's name, its status
and public reason, its dates. Never an e-mail address, CE details or a database id.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from flask import current_app
from sqlalchemy import select

from lms.credentials import public
from lms.credentials.certificates import PdfCheck, check_pdf
from lms.credentials.ids import parse_id, suggest_corrections
from lms.credentials.models import (
    CREDENTIAL_REVOKED,
    CREDENTIAL_SUSPENDED,
    Credential,
    CredentialSerial,
)
from lms.credentials.public import PublicCredential
from lms.errors import NotFound, ValidationError
from lms.extensions import db
from lms.mail import external_url
from lms.storage import FileTooLarge, human_size
from lms.verify import badges, keys

#: Most IDs in one batch request (more is refused as a whole: 413).
BATCH_MAX = 500
#: Most results of a name search.
SEARCH_MAX = 20
STATUS_LABELS = {"active": "Active", "grace": "In grace", "expired": "Expired",
                 "suspended": "Suspended", "revoked": "Revoked"}
STATUS_EXPLAINED = {
    "active": "The credential is current.",
    "grace": "The continuing-education cycle has ended; the holder is within the grace "
             "period in which they may still renew.",
    "expired": "The credential has lapsed: the holder did not renew it in time.",
    "suspended": "The programme has suspended this credential.",
    "revoked": "The programme has revoked this credential.",
}
#: The one answer for an ID that is malformed or not issued: the two look the same.
NOT_FOUND_TEXT = "No credential has this ID."


# --------------------------------------------------------------------------- lookups


@dataclass(frozen=True)
class Lookup:
    """A typed ID looked up: the credential, or nothing (and IDs one slip away that exist)."""

    found: PublicCredential | None
    suggestions: list[str] = field(default_factory=list)


def find(text: object, today: date) -> Lookup:
    """Look one typed ID up. When it is not valid, the issued IDs one slip away are suggested
    ("did you mean …"): at most three, and only IDs that exist (one query for all)."""
    if not isinstance(text, str) or not text.strip():
        return Lookup(None)
    found = public.lookup_one(text, today)
    if found is not None or parse_id(text) is not None:
        return Lookup(found)
    candidates = suggest_corrections(text)
    existing = public.lookup(candidates, today) if candidates else {}
    return Lookup(None, [c for c in candidates if c in existing][:3])


def find_many(texts: Sequence[str], today: date) -> dict[str, PublicCredential]:
    """The known IDs among `texts`, keyed by the text as given (constant queries)."""
    return public.lookup(texts, today)


def search(query: str, today: date) -> list[PublicCredential]:
    """Opted-in holders whose name matches, at most SEARCH_MAX."""
    return public.search_by_name(query, today, limit=SEARCH_MAX)


def as_json(credential: PublicCredential) -> dict[str, Any]:
    """The API's view of a credential (the fields the OpenAPI document names)."""
    return {
        "credential_id": credential.credential_id,
        "holder_name": credential.holder_name,
        "credential": credential.credential_name,
        "status": credential.status,
        "status_label": STATUS_LABELS[credential.status],
        "status_reason": credential.status_reason or None,
        "issued_on": credential.issued_on.isoformat(),
        "valid_until": credential.valid_until.isoformat() if credential.valid_until else None,
        "verify_url": external_url("verify.credential", credential_id=credential.credential_id),
    }


def batch(items: Sequence[object], today: date) -> list[dict[str, Any]]:
    """One result per item, in order (the caller refuses more than BATCH_MAX).

    A string that is an issued ID gets the credential; any other string gets ``found: false``
    (malformed and unknown alike); a non-string gets an error naming its position. A repeated
    ID gets its result again and ``duplicate_of``, the position of its first occurrence.
    """
    texts = [item for item in items if isinstance(item, str)]
    known = find_many(texts, today)
    first_seen: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        if not isinstance(item, str):
            results.append({"index": position, "input": None, "found": False,
                            "error": f"item {position} is not a string: each ID must be text"})
            continue
        result: dict[str, Any] = {"index": position, "input": item[:100]}
        found = known.get(item)
        key = found.credential_id if found else " ".join(item.split()).upper()
        if key in first_seen:
            result["duplicate_of"] = first_seen[key]
        else:
            first_seen[key] = position
        if found is None:
            result.update(found=False, error=NOT_FOUND_TEXT)
        else:
            result.update(found=True, credential=as_json(found))
        results.append(result)
    return results


# --------------------------------------------------------------------------- PDFs


@dataclass(frozen=True)
class PdfReport:
    check: PdfCheck
    credential: PublicCredential | None  # the credential the PDF names, with today's status


def read_certificate(stream: IO[bytes]) -> bytes:
    """An uploaded certificate's bytes, read at most one byte past VERIFY_UPLOAD_MAX_BYTES.

    Raises ValidationError when the file is empty, FileTooLarge when it is larger than any
    certificate. The file's name is never read: nothing is stored, nothing named after it."""
    limit = current_app.config["VERIFY_UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise ValidationError("The file is empty. Choose the certificate PDF.")
    if len(data) > limit:
        raise FileTooLarge(f"The file is larger than any certificate (at most "
                           f"{human_size(limit)}).")
    return data


def check_certificate(data: bytes, today: date) -> PdfReport:
    """What an uploaded file is: its signature, and the current status of what it names."""
    check = check_pdf(data)
    found = None
    if check.credential_id:
        found = public.lookup([check.credential_id], today).get(check.credential_id)
    return PdfReport(check, found)


# --------------------------------------------------------------------------- Open Badges


def issuer() -> badges.Issuer:
    return badges.Issuer(id=external_url("verify_api.ob_issuer"),
                         name=current_app.config["OB_ISSUER_NAME"],
                         url=external_url("main.index"))


def _status_slot(credential_id: str) -> badges.StatusSlot:
    parsed = parse_id(credential_id)
    assert parsed is not None  # noqa: S101 - an issued ID is always well formed
    list_id = f"{parsed.prefix}-{parsed.year}"
    return badges.StatusSlot(external_url("verify_api.ob_status_root", list_id=list_id),
                             parsed.serial)


def holder_of(credential_id: str) -> int | None:
    """The holder's user id of an issued ID (None when there is no such credential)."""
    parsed = parse_id(credential_id)
    if parsed is None:
        return None
    return db.session.scalar(select(Credential.user_id)
                             .where(Credential.credential_id == str(parsed)))


def open_badge(credential_id: str, today: date) -> dict[str, Any]:
    """The unsigned ``OpenBadgeCredential`` for an issued ID (NotFound otherwise)."""
    found = public.lookup([credential_id], today).get(credential_id)
    if found is None:
        raise NotFound(NOT_FOUND_TEXT)
    facts = badges.BadgeFacts(
        credential_id=found.credential_id, holder_name=found.holder_name,
        credential_name=found.credential_name, issued_on=found.issued_on,
        valid_until=found.valid_until,
        verify_url=external_url("verify.credential", credential_id=found.credential_id),
        achievement_url=external_url("verify_api.ob_achievement"))
    return badges.open_badge(facts, issuer(), _status_slot(found.credential_id))


def signed_badge(credential_id: str, today: date) -> str:
    """The credential as a VC-JWT signed with the issuer key."""
    return badges.sign(open_badge(credential_id, today), keys.issuer_key())


def _parse_list_id(list_id: str) -> tuple[str, int] | None:
    prefix, _, year = list_id.rpartition("-")
    if not (prefix.isascii() and prefix.isalnum() and prefix.isupper() and 1 <= len(prefix) <= 16
            and year.isascii() and year.isdigit() and len(year) == 4 and year[0] != "0"):
        return None
    return prefix, int(year)


def status_list(list_id: str, purpose: str, today: date) -> str:
    """The signed ``BitstringStatusListCredential`` of one year's IDs for one purpose.

    Bit ``serial`` is set for each credential of the year that is revoked (revocation list)
    or suspended (suspension list). Two queries whatever the number of credentials."""
    parsed = _parse_list_id(list_id)
    if parsed is None or purpose not in badges.STATUS_PURPOSES:
        raise NotFound("There is no such status list.")
    prefix, year = parsed
    largest = db.session.scalar(select(CredentialSerial.last)
                                .where(CredentialSerial.year == year)) or 0
    state = CREDENTIAL_REVOKED if purpose == "revocation" else CREDENTIAL_SUSPENDED
    ids = db.session.scalars(select(Credential.credential_id).where(
        Credential.state == state,
        Credential.credential_id.like(f"{prefix}-{year}-%"))).all()
    indexes = [p.serial for p in map(parse_id, ids)
               if p is not None and p.prefix == prefix and p.year == year]
    credential = badges.status_list_credential(
        external_url("verify_api.ob_status_root", list_id=list_id), purpose, issuer(),
        indexes, max([largest, *indexes]), today)
    return badges.sign(credential, keys.issuer_key())


@dataclass(frozen=True)
class BadgeCheck:
    signature_valid: bool
    issuer_matches: bool
    json_ld_valid: bool
    credential_id: str | None
    credential: PublicCredential | None
    problems: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "signature_valid": self.signature_valid,
            "issuer_matches": self.issuer_matches,
            "json_ld_valid": self.json_ld_valid,
            "credential_id": self.credential_id,
            "status": self.credential.status if self.credential else None,
            "credential": as_json(self.credential) if self.credential else None,
            "problems": self.problems,
        }


def check_badge(token: object, today: date) -> BadgeCheck:
    """Check an Open Badge VC-JWT someone holds: our signature, our issuer, well-formed
    JSON-LD (expanded offline), and the **current** status of the credential it names."""
    read = badges.read_jwt(token, keys.verification_keys())
    if not read.signature_valid or read.claims is None:
        return BadgeCheck(False, False, False, None, None, [read.problem])
    claims = read.claims
    problems: list[str] = []
    types = claims.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        problems.append("The credential is not an OpenBadgeCredential.")
    try:
        document = {k: v for k, v in claims.items() if k not in ("iss", "jti", "nbf", "exp")}
        badges.expand(document)
        json_ld_valid = True
    except ValueError as err:
        json_ld_valid = False
        problems.append(str(err))
    issuer_id = claims.get("iss")
    issuer_matches = issuer_id == issuer().id
    if not issuer_matches:
        problems.append("The credential names another issuer than this programme.")
    subject = claims.get("id")
    subject_url = subject if isinstance(subject, str) else ""
    parsed = parse_id(subject_url.rstrip("/").rpartition("/")[2])
    credential_id = str(parsed) if parsed else None
    found = public.lookup([credential_id], today).get(credential_id) if credential_id else None
    if found is None:
        problems.append("The credential it names is not on this programme's register.")
    elif found.status != "active":
        problems.append(f"The credential is {STATUS_LABELS[found.status].lower()}.")
    return BadgeCheck(True, issuer_matches, json_ld_valid, credential_id, found, problems)


# --------------------------------------------------------------------------- LinkedIn


def linkedin_url(credential_id: str, credential_name: str, issued_on: date,
                 valid_until: date | None) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in: the credential's name,
    the organisation, issue and expiry month, the ID and the public verification URL.

    Also a template global, ``linkedin_add_url(...)``, for the holder's credential page."""
    from urllib.parse import urlencode

    values: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": credential_name,
        "organizationName": current_app.config["OB_ISSUER_NAME"],
        "issueYear": issued_on.year,
        "issueMonth": issued_on.month,
    }
    if valid_until is not None:
        values["expirationYear"] = valid_until.year
        values["expirationMonth"] = valid_until.month
    values["certId"] = credential_id
    values["certUrl"] = external_url("verify.credential", credential_id=credential_id)
    return "https://www.linkedin.com/profile/add?" + urlencode(values)

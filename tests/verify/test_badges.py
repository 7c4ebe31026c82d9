"""Open Badges 3.0 pure code: the credential expands offline, the VC-JWT round-trips with the
JWKS and nothing else, the bitstring status list reads back what was written."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc.jwk import ECKey, KeySet

from lms.verify import badges

ISSUER = badges.Issuer("https://ap.example.org/api/v1/ob/issuer", "Just Communities",
                       "https://ap.example.org/")
FACTS = badges.BadgeFacts(
    credential_id="JCAP-2026-000001-X", holder_name="Ana Ruiz",
    credential_name="Just Communities Accredited Practitioner", issued_on=date(2026, 1, 5),
    valid_until=date(2028, 1, 4), verify_url="https://ap.example.org/verify/JCAP-2026-000001-X",
    achievement_url="https://ap.example.org/api/v1/ob/achievement")
SLOT = badges.StatusSlot("https://ap.example.org/api/v1/ob/status/JCAP-2026", 1)
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
CRED = "https://www.w3.org/2018/credentials#"


def _key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def _jwks(key: ECKey) -> KeySet:
    return KeySet.import_key_set({"keys": [key.as_dict(private=False) | {"kid": key.kid}]})


def test_open_badge_expands_offline_with_the_bundled_contexts():
    credential = badges.open_badge(FACTS, ISSUER, SLOT)
    assert credential["@context"] == [badges.VC_CONTEXT, badges.OB_CONTEXT]
    [expanded] = badges.expand(credential)
    assert f"{OB}OpenBadgeCredential" in expanded["@type"]
    subject = expanded[f"{CRED}credentialSubject"][0]
    assert f"{OB}AchievementSubject" in subject["@type"]
    achievement = subject[f"{OB}achievement"][0]
    assert achievement["@id"] == FACTS.achievement_url
    statuses = expanded[f"{CRED}credentialStatus"]
    purposes = {s["https://www.w3.org/ns/credentials/status#statusPurpose"][0]["@value"]
                for s in statuses}
    assert purposes == {"revocation", "suspension"}
    assert credential["validFrom"] == "2026-01-05T00:00:00Z"
    assert credential["validUntil"] == "2028-01-04T23:59:59Z"


def test_expansion_never_goes_to_the_network_and_refuses_undefined_terms():
    with pytest.raises(ValueError, match="not valid JSON-LD"):
        badges.expand({"@context": ["https://example.org/unknown-context"], "name": "x"})
    credential = badges.open_badge(FACTS, ISSUER, SLOT)
    credential["madeUpTerm"] = "x"  # safe mode: a term no context defines is an error
    with pytest.raises(ValueError):
        badges.expand(credential)


def test_issuer_profile_and_status_list_expand():
    [profile] = badges.expand(badges.issuer_profile(ISSUER))
    assert profile["@id"] == ISSUER.id
    status = badges.status_list_credential(f"{SLOT.list_url}", "revocation", ISSUER, [1], 1,
                                           date(2026, 11, 24))
    [expanded] = badges.expand(status)
    assert "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential" in \
        expanded["@type"]


def test_vc_jwt_verifies_with_the_jwks_and_only_with_it():
    key = _key()
    token = badges.sign(badges.open_badge(FACTS, ISSUER, SLOT), key)
    check = badges.read_jwt(token, _jwks(key))
    assert check.signature_valid and check.claims is not None
    assert check.claims["iss"] == ISSUER.id and check.claims["jti"] == FACTS.verify_url
    assert check.claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert not badges.read_jwt(token, _jwks(_key())).signature_valid  # another issuer's key
    header, payload, signature = token.split(".")
    forged = badges.sign({**badges.open_badge(FACTS, ISSUER, SLOT), "name": "Other"}, _key())
    tampered = f"{header}.{forged.split('.')[1]}.{signature}"
    assert not badges.read_jwt(tampered, _jwks(key)).signature_valid
    for junk in ("", "   ", "a.b", "a.b.c", "x" * 300_000, None, 5, "é.é.é"):
        assert not badges.read_jwt(junk, _jwks(key)).signature_valid


@given(st.sets(st.integers(min_value=0, max_value=badges.MIN_LIST_BITS * 2 - 1), max_size=40),
       st.integers(min_value=0, max_value=badges.MIN_LIST_BITS * 2 - 1))
def test_status_bits_read_back(indexes, probe):
    largest = max([probe, *indexes])
    encoded = badges.encode_bits(indexes, badges.list_length(largest))
    assert encoded.startswith("u")
    assert badges.bit_is_set(encoded, probe) == (probe in indexes)


def test_status_list_is_at_least_16_kb_and_deterministic():
    import base64
    import gzip

    encoded = badges.encode_bits([5], badges.list_length(5))
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == badges.MIN_LIST_BITS
    assert raw[0] == 0b00000100  # index 5: the first byte's sixth bit from the left
    assert encoded == badges.encode_bits([5], badges.list_length(5))
    assert badges.list_length(badges.MIN_LIST_BITS) == 2 * badges.MIN_LIST_BITS

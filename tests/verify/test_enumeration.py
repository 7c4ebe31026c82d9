"""IDs cannot be enumerated into a list of holders: an unknown ID and a malformed one get the
same 404 (status, headers apart from the date, body) on the page, the API and in a batch; no
answer hints at neighbouring IDs, counts or database ids; a name search lists at most 20
holders, all opted in."""
from __future__ import annotations

import json
import re

import pytest

from lms.auth.services import update_profile
from lms.credentials import services as credentials
from lms.credentials.ids import format_id, parse_id
from tests.verify.conftest import TODAY, at

#: Headers that may differ between two answers to the same question: the date, and the
#: client's own rate-limit budget (which counts down with every lookup, found or not).
VOLATILE = {"date", "x-request-id", "set-cookie", "x-ratelimit-remaining", "x-ratelimit-reset",
            "ratelimit-remaining", "ratelimit-reset", "retry-after"}
#: Bad check character, no check character, bad shape, odd characters, huge. (A NUL, %00,
#: is refused by the web layer before any view, so before any lookup: a 404 without the
#: lookup's cache and rate-limit headers, which says nothing about holders either.)
MALFORMED = ["JCAP-2025-000001-0", "JCAP-2025-000001", "jcap", "JCAP-2025-00000A-K",
             "<script>x</script>", "٣٣٣٣", "x" * 10_000, "JCAP-2025-000001-K-K",
             "'; select 1; --", "JCAP-2025-000001-K%20"]


def _unknown_ids() -> list[str]:
    # well formed (check character right) but never issued: just past the last serial, far
    # past it, another year, another prefix
    return [format_id("JCAP", 2025, 3), format_id("JCAP", 2025, 999_999),
            format_id("JCAP", 2031, 1), format_id("ZZZZ", 2025, 1)]


def _shape(response, typed: str) -> tuple[int, dict, bytes]:
    """Status, headers (volatile ones aside) and body, with the typed ID itself (echoed in a
    sign-in link's next=) replaced: what the answer says beyond what was asked."""
    from urllib.parse import quote

    body = response.get_data()
    for form in {typed, quote(typed, safe="/"), quote(typed, safe=""),
                 quote(typed, safe="/").replace("%", "%25")}:
        body = body.replace(form.encode(), b"<ID>")
    headers = {k.lower(): v for k, v in response.headers.items()
               if k.lower() not in VOLATILE | {"content-length"}}
    return response.status_code, headers, body


@pytest.fixture
def issued(holder, today_is):
    """Two issued credentials (serials 1 and 2 of 2025)."""
    return [holder()[1].credential_id for _ in range(2)]


@pytest.mark.parametrize("prefix", ["/api/v1/verify/", "/verify/"])
def test_malformed_and_unknown_ids_get_byte_identical_404s(client, issued, prefix):
    reference = None
    for typed in _unknown_ids() + MALFORMED:
        r = client.get(prefix + typed)
        assert r.status_code == 404, typed
        shape = _shape(r, typed)
        if reference is None:
            reference = shape
        assert shape == reference, typed
    assert b"<ID>" not in reference[2] or prefix == "/verify/"
    if prefix.startswith("/api/"):
        assert json.loads(reference[2]) == {"type": "about:blank", "title": "Not Found",
                                            "status": 404, "detail": "No credential has this ID."}


def test_a_batch_answers_malformed_and_unknown_alike(client, issued):
    typed = _unknown_ids() + MALFORMED
    results = client.post("/api/v1/verify/batch", json={"ids": typed}).get_json()["results"]
    assert len(results) == len(typed)
    for result, text in zip(results, typed, strict=True):
        assert {k: v for k, v in result.items() if k not in ("index", "input")} == {
            "found": False, "error": "No credential has this ID."}, text
        assert result["input"] == text[:100]


def test_answers_carry_no_sequential_hints(client, issued, make_user):
    first, second = issued
    ids_in = re.compile(r"[A-Z]{2,}-\d{4}-\d{6}-[0-9A-Z]")
    r = client.get(f"/api/v1/verify/{first}")
    body = r.get_json()
    assert set(ids_in.findall(r.get_data(as_text=True))) == {first}  # never a neighbour
    assert not any(isinstance(v, int) for v in body.values())  # no row id, no count
    assert not {"Link", "X-Total-Count"} & set(r.headers)
    page = client.get(f"/verify/{first}").get_data(as_text=True)
    assert set(ids_in.findall(page)) == {first}
    batch = client.post("/api/v1/verify/batch", json={"ids": [second]}).get_json()
    assert set(batch) == {"results"}
    assert set(ids_in.findall(json.dumps(batch))) == {second}
    # a 404 for the next serial says nothing about how many there are
    nxt = format_id("JCAP", 2025, parse_id(second).serial + 1)
    assert client.get(f"/api/v1/verify/{nxt}").get_json()["detail"] == (
        "No credential has this ID.")
    # the lookup form suggests only for a slip in a typed ID, never for an unknown one
    html = client.get("/verify", query_string={"id": nxt}).get_data(as_text=True)
    assert "did you mean" not in html.lower() and first not in html and second not in html


def test_name_search_lists_at_most_20_opted_in_active_holders(client, holder, today_is):
    for n in range(25):
        user, _ = holder(legal_name=f"Quinn Listed {n:02d}")
        update_profile(user, {"directory_opt_in": True})
    holder(legal_name="Quinn Unlisted")
    gone, _ = holder(legal_name="Quinn Gone")
    update_profile(gone, {"directory_opt_in": True})
    gone.active = False
    revoked_user, revoked = holder(legal_name="Quinn Revoked")
    update_profile(revoked_user, {"directory_opt_in": True})
    credentials.change_state(revoked, "revoke", "Misconduct", None, at(TODAY))
    for query in ({"name": "quinn"}, {"name": "quinn", "limit": "500"},
                  {"name": "quinn", "per_page": "500", "page": "2"}):
        html = client.get("/verify", query_string=query).get_data(as_text=True)
        names = re.findall(r"Quinn \w+(?: \d\d)?", html)
        assert len(set(names)) == 20, query
        assert all(n.startswith("Quinn Listed") for n in names), query
    # LIKE wildcards are text, not patterns that match everyone
    for wildcard in ("%%", "__", "%_", "\\%"):
        html = client.get("/verify", query_string={"name": wildcard}).get_data(as_text=True)
        assert "Quinn" not in html, wildcard

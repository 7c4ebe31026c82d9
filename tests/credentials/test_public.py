"""The public face: lookup (batch, constant queries) and the directory search."""
from __future__ import annotations

from datetime import date

from lms.auth.services import update_profile
from lms.credentials import services
from lms.credentials.ids import format_id
from lms.credentials.public import PUBLIC_STATUSES, lookup, search_by_name
from tests.credentials.conftest import TODAY, at


def test_lookup_reports_each_status_with_public_reasons(holder):
    _, active = holder(earned_on=date(2026, 1, 10), legal_name="Ada Active")
    _, grace = holder(earned_on=date(2024, 6, 1))        # cycle ended 1 June 2026
    _, expired = holder(earned_on=date(2022, 1, 1))      # long past grace and reinstatement
    _, suspended = holder(earned_on=date(2026, 1, 10))
    _, revoked = holder(earned_on=date(2026, 1, 10))
    services.change_state(suspended, "suspend", "Under review after a complaint", None,
                          at(TODAY))
    services.change_state(revoked, "revoke", "Exam misconduct", None, at(TODAY))
    found = lookup([c.credential_id for c in (active, grace, expired, suspended, revoked)],
                   TODAY)
    got = {key: (p.status, p.status_reason) for key, p in found.items()}
    assert got == {active.credential_id: ("active", ""), grace.credential_id: ("grace", ""),
                   expired.credential_id: ("expired", ""),
                   suspended.credential_id: ("suspended", "Under review after a complaint"),
                   revoked.credential_id: ("revoked", "Exam misconduct")}
    assert {p.status for p in found.values()} == set(PUBLIC_STATUSES)
    first = found[active.credential_id]
    assert first.holder_name == "Ada Active"
    assert first.credential_name == "Just Communities Accredited Practitioner"
    assert first.issued_on == date(2026, 1, 10)
    assert first.valid_until == date(2028, 1, 9)


def test_lookup_ignores_malformed_and_unknown_ids_and_accepts_typed_forms(holder):
    _, credential = holder()
    typed = credential.credential_id.lower().replace("-", " ")
    unknown = format_id("JCAP", 2026, 999_999)
    found = lookup([typed, unknown, "nonsense", "", "JCAP-2026-000001-0"], TODAY)
    assert list(found) == [typed]
    assert found[typed].credential_id == credential.credential_id


def test_lookup_uses_a_constant_number_of_queries(holder, count_queries):
    ids = [holder()[1].credential_id]
    with count_queries() as one:
        lookup(ids, TODAY)
    ids += [holder()[1].credential_id for _ in range(6)]
    with count_queries() as seven:
        assert len(lookup(ids, TODAY)) == 7
    assert seven.count == one.count == 1


def test_search_by_name_lists_only_directory_opt_ins(holder, count_queries):
    listed, _ = holder(name="Rosa Parker", legal_name="Rosa Louise Parker")
    update_profile(listed, {"directory_opt_in": True})
    holder(name="Rosa Hidden")  # not opted in
    revoked_user, revoked = holder(name="Rosa Revoked")
    update_profile(revoked_user, {"directory_opt_in": True})
    services.change_state(revoked, "revoke", "Misconduct", None, at(TODAY))
    with count_queries() as counter:
        results = search_by_name("rosa", TODAY)
    assert [r.holder_name for r in results] == ["Rosa Louise Parker"]
    assert counter.count == 2
    assert search_by_name("r", TODAY) == []
    assert search_by_name("%", TODAY) == []
    assert search_by_name("louise", TODAY)[0].status == "active"


def test_bulk_ce_states_match_the_one_by_one_standing(holder, count_queries):
    """The CE state of every holder of a batch comes from one joined load: renewals approved,
    pending or rejected, several per holder, counted exactly as the per-holder reading does."""
    from lms.credits.models import CeRenewal
    from lms.extensions import db

    made = []
    for renewals in ((), (("approved", 0),), (("rejected", 0),), (("pending", 0),),
                     (("approved", 0), ("approved", 1)), (("rejected", 0), ("approved", 0))):
        user, credential = holder(earned_on=date(2022, 6, 1))
        for status, cycle in renewals:
            db.session.add(CeRenewal(user_id=user.id, cycle=cycle, status=status,
                                     renewed_on=date(2024 + 2 * cycle, 5, 20),
                                     attestation="I attest", created_at=at(TODAY)))
        made.append(credential)
    db.session.commit()
    ids = [c.credential_id for c in made]
    for day in (TODAY, date(2028, 7, 1), date(2030, 1, 1)):
        with count_queries() as counter:
            found = lookup(ids, day)
        assert counter.count == 1
        got = [(found[c.credential_id].status, found[c.credential_id].valid_until)
               for c in made]
        expected = [(s.status, s.valid_until) for s in (services.standing(c, day)
                                                         for c in made)]
        assert got == expected, day
        assert len({g for g in got}) > 1  # the holders differ: the comparison means something

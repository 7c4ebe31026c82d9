"""AICP-style rules: 32 h / 2 yr on a shared calendar cycle, >= 1 h each of law, ethics, equity,
sustainability & resilience, self-reported <= 8, 4-month grace, reinstatement within 4 years."""

from __future__ import annotations

import pytest

from lms.credits.rules import (
    Cycle,
    Holder,
    Renewal,
    State,
    cycle_at,
    cycle_containing,
    holder_state,
    missing_text,
    progress,
    renewal_check,
    status,
)
from tests.credits.shapes import AICP, d, entry, programme

P = programme(AICP)
TOPICS = ("law", "ethics", "equity", "sustainability")


def full(year: int = 2024) -> list:
    return [entry(f"{year}-05-01", 28, "general"),
            *(entry(f"{year}-06-01", 1, topic) for topic in TOPICS)]


@pytest.mark.parametrize(("earned", "first_end"), [
    ("2024-03-01", "2026-01-01"),    # most of the shared 2024-2025 cycle left: ends with it
    ("2025-09-01", "2028-01-01"),    # under half left: the first cycle runs to the next end
    ("2024-02-29", "2026-01-01"),    # earned on a leap day
    ("2024-01-01", "2026-01-01"),    # earned on the shared start
    ("2025-12-31", "2028-01-01"),
])
def test_shared_calendar_cycles(earned: str, first_end: str):
    first = cycle_at(P, d(earned), 0)
    assert first == Cycle(0, d(earned), d(first_end))
    second = cycle_at(P, d(earned), 1)
    assert second.start == first.end and second.start.month == 1 and second.start.day == 1
    assert (second.end.year - second.start.year) == 2
    assert second.start.year % 2 == 0     # everyone shares 2026-2027, 2028-2029, ...


def test_holders_share_the_same_later_cycles():
    assert cycle_at(P, d("2024-02-29"), 1) == cycle_at(P, d("2024-11-30"), 1) == \
        Cycle(1, d("2026-01-01"), d("2028-01-01"))
    assert cycle_containing(P, d("2024-02-29"), d("2027-12-31")).index == 1
    assert cycle_containing(P, d("2024-02-29"), d("2028-01-01")).index == 2


def test_one_hour_in_each_mandatory_topic():
    entries = [entry("2024-05-01", 30, "general"), entry("2024-06-01", 1, "law"),
               entry("2024-06-01", 1, "equity")]
    result = status(P, Holder(d("2024-02-29")), entries, d("2025-01-01"))
    assert result.progress.total == 32 and not result.progress.met
    assert result.progress.missing_hours == 2
    assert result.missing == ("2 more hours, 1 of them Ethics and 1 of them Sustainability and "
                              "Resilience, by 31 December 2025")
    assert progress(P, Holder(d("2024-02-29")), full(), d("2025-01-01")).met


def test_self_reported_hours_are_capped_at_8_per_cycle():
    holder = Holder(d("2024-03-01"))
    entries = [entry("2024-04-01", 5, "general", "self-reported", key="a"),
               entry("2024-05-01", 5, "law", "self-reported", key="b"),
               entry("2024-06-01", 5, "ethics", "course", key="c")]
    result = progress(P, holder, entries, d("2025-01-01"))
    counted = {c.entry.key: (c.counted, c.trimmed, c.reasons) for c in result.entries}
    assert counted["a"] == (5, 0, ())
    assert counted["b"] == (3, 2, ("self-reported activity counts for at most 8 hours in a "
                                   "cycle",))
    assert counted["c"] == (5, 0, ())
    assert result.total == 13
    # a new cycle starts with a fresh cap
    renewed = Holder(holder.earned_on, (Renewal(0, d("2025-12-31")),))
    nxt = progress(P, renewed, entries + [entry("2026-01-01", 8, "general", "self-reported")],
                   d("2026-02-01"))
    assert nxt.total == 8 and nxt.entries[0].trimmed == 0


@pytest.mark.parametrize(("today", "expected"), [
    ("2025-12-31", State.ACTIVE),
    ("2026-01-01", State.GRACE),
    ("2026-04-30", State.GRACE),          # 4 months of grace
    ("2026-05-01", State.REINSTATABLE),   # expired; may be reinstated ...
    ("2030-04-30", State.REINSTATABLE),   # ... within 4 years after the grace
    ("2030-05-01", State.EXPIRED),
])
def test_states(today: str, expected: State):
    assert holder_state(P, Holder(d("2024-02-29")), d(today))[0] is expected


def test_boundary_entry_counts_for_the_late_cycle_in_grace_else_the_next():
    holder = Holder(d("2024-03-01"))
    on_boundary = entry("2026-01-01", 1, "law")
    entries = [*full()[:1], *full()[2:], on_boundary]    # law came on the boundary day
    in_grace = progress(P, holder, entries, d("2026-01-02"))
    assert in_grace.cycle.index == 0 and in_grace.met       # grace hours close the late cycle
    on_time = Holder(holder.earned_on, (Renewal(0, d("2025-12-31")),))
    assert progress(P, on_time, entries, d("2026-01-02"), cycle=0).by_category.get("law") is None
    assert progress(P, on_time, entries, d("2026-01-02")).by_category == {"law": 1}


def test_reinstatement_within_four_years():
    holder = Holder(d("2024-03-01"))
    partial = [entry("2024-05-01", 28, "general"), entry("2024-06-01", 1, "law")]
    day = d("2027-06-01")
    assert holder_state(P, holder, day)[0] is State.REINSTATABLE
    check = renewal_check(P, holder, partial, day)
    assert not check.eligible and check.reinstatement
    assert check.reason == ("still missing: 3 more hours, 1 of them Ethics, 1 of them Equity "
                            "and 1 of them Sustainability and Resilience, by 30 April 2030")
    made_up = partial + [entry("2027-05-01", 1, t) for t in ("ethics", "equity",
                                                             "sustainability")]
    check = renewal_check(P, holder, made_up, day)
    assert check.eligible and check.reinstatement
    assert check.reason == "requirements met: a registrar must approve the reinstatement"
    assert check.renewal == Renewal(0, day, reinstated=True)
    # back in the shared cycle in progress, counting from the day after the reinstatement
    assert check.next_cycle == Cycle(1, d("2026-01-01"), d("2028-01-01"))
    reinstated = holder.renewed(check.renewal)
    assert holder_state(P, reinstated, day) == (State.ACTIVE, check.next_cycle)
    assert progress(P, reinstated, made_up, day).counted_from == d("2027-06-02")


def test_reinstated_years_later_joins_the_cycle_of_the_day():
    holder = Holder(d("2024-03-01"), (Renewal(0, d("2029-03-01"), reinstated=True),))
    state, cycle = holder_state(P, holder, d("2029-03-02"))
    assert state is State.ACTIVE and cycle == Cycle(2, d("2028-01-01"), d("2030-01-01"))


def test_missing_text_when_only_topics_are_missing():
    entries = [entry("2024-05-01", 40, "general"), entry("2024-06-01", 1, "law")]
    result = progress(P, Holder(d("2024-02-29")), entries, d("2025-01-01"))
    assert missing_text(P, result, result.cycle.last_day) == (
        "3 more hours, 1 of them Ethics, 1 of them Equity and 1 of them Sustainability and "
        "Resilience, by 31 December 2025")

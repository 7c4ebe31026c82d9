"""PMP-style rules: 60 h / 3 yr, education >= 35, giving back <= 25, carry-over <= 20 from the
final year."""

from __future__ import annotations

from lms.credits.rules import (
    Cycle,
    Holder,
    Renewal,
    State,
    cycle_at,
    holder_state,
    progress,
    renewal_check,
    status,
)
from tests.credits.shapes import PMP, d, entry, programme

P = programme(PMP)
EARNED = d("2024-03-01")
HOLDER = Holder(EARNED)


def test_three_year_cycles_from_a_leap_day():
    leap = d("2024-02-29")
    assert [cycle_at(P, leap, i).start for i in range(5)] == [
        d("2024-02-29"), d("2027-02-28"), d("2030-02-28"), d("2033-02-28"), d("2036-02-29")]
    assert cycle_at(P, leap, 0).last_day == d("2027-02-27")
    holder = Holder(leap)
    result = status(P, holder, [entry("2024-02-29", 30, "education")], d("2025-01-01"))
    assert result.missing == "30 more hours, 5 of them Education, by 27 February 2027"


def test_education_floor_and_giving_back_ceiling():
    entries = [entry("2024-04-01", 30, "education", key="a"),
               entry("2024-05-01", 20, "giving-back", "volunteering", key="b"),
               entry("2024-06-01", 15, "giving-back", "work", key="c")]
    result = progress(P, HOLDER, entries, d("2025-01-01"))
    counted = {c.entry.key: (c.counted, c.trimmed, c.reasons) for c in result.entries}
    assert counted["c"] == (5, 10, ("Giving Back counts for at most 25 hours in a cycle",))
    assert result.by_category == {"education": 30, "giving-back": 25}
    assert result.total == 55 and result.missing_hours == 5 and not result.met
    more = entries + [entry("2024-07-01", 5, "education")]
    assert progress(P, HOLDER, more, d("2025-01-01")).met


def cycle_with_extra(final_year_hours: float, early_hours: float = 0) -> list:
    return [entry("2024-06-01", 40, "education"),
            entry("2025-06-01", 20 + early_hours, "giving-back"),
            entry("2026-09-01", final_year_hours, "education", key="final")]


def test_carry_over_of_at_most_20_from_the_final_year():
    entries = cycle_with_extra(25)         # 85 hours, 25 of them in the final year
    result = progress(P, HOLDER, entries, d("2027-01-01"))
    assert result.total == 85 and result.met
    assert [(e.hours, e.category, e.on) for e in result.carry_out] == [
        (20, "education", d("2027-03-01"))]
    check = renewal_check(P, HOLDER, entries, d("2027-01-01"))
    assert check.eligible and check.carry_over == 20
    renewed = HOLDER.renewed(check.renewal)
    nxt = progress(P, renewed, entries, d("2027-04-01"))
    assert nxt.cycle == Cycle(1, d("2027-03-01"), d("2030-03-01"))
    assert nxt.carried_in == 20 and nxt.total == 20
    assert nxt.entries[0].carried and nxt.entries[0].entry.key == "carry:final"
    assert nxt.missing_hours == 40


def test_carry_over_is_limited_by_the_excess_and_the_final_year_hours():
    assert sum(e.hours for e in progress(P, HOLDER, cycle_with_extra(5), d("2027-01-01"))
               .carry_out) == 5         # 65 hours: only 5 above the 60
    early = cycle_with_extra(3, early_hours=0) + [entry("2025-01-01", 30, "education")]
    result = progress(P, HOLDER, early, d("2027-01-01"))
    assert result.total == 93 and sum(e.hours for e in result.carry_out) == 3  # final year: 3


def test_final_year_starts_exactly_twelve_months_before_the_end():
    on_start = [entry("2024-06-01", 60, "education"), entry("2026-03-01", 10, "education")]
    before = [entry("2024-06-01", 60, "education"), entry("2026-02-28", 10, "education")]
    assert sum(e.hours for e in progress(P, HOLDER, on_start, d("2027-01-01")).carry_out) == 10
    assert progress(P, HOLDER, before, d("2027-01-01")).carry_out == ()


def test_no_carry_over_without_renewal_and_none_carried_twice():
    entries = cycle_with_extra(25)
    assert progress(P, HOLDER, entries, d("2027-04-01"), cycle=1).carried_in == 0
    # cycle 1's carried-in hours are dated at its start: they never carry on into cycle 2
    renewed = Holder(EARNED, (Renewal(0, d("2027-01-01")), Renewal(1, d("2029-01-01"))))
    late = entries + [entry("2029-06-01", 70, "education")]
    one = progress(P, renewed, late, d("2030-01-01"), cycle=1)
    assert one.total == 90 and sum(e.hours for e in one.carry_out) == 20
    assert all(not e.key.startswith("carry:carry:") for e in one.carry_out)


def test_entry_on_the_cycle_end_belongs_to_the_next_cycle():
    entries = [entry("2024-03-01", 60, "education"), entry("2027-03-01", 5, "education")]
    renewed = HOLDER.renewed(Renewal(0, d("2026-01-01")))
    assert progress(P, renewed, entries, d("2027-03-02"), cycle=0).total == 60
    assert progress(P, renewed, entries, d("2027-03-02")).total == 5


def test_states_after_the_deadline():
    assert holder_state(P, HOLDER, d("2027-02-28"))[0] is State.ACTIVE
    assert holder_state(P, HOLDER, d("2027-03-01"))[0] is State.GRACE
    assert holder_state(P, HOLDER, d("2027-06-01"))[0] is State.REINSTATABLE
    assert holder_state(P, HOLDER, d("2028-06-01"))[0] is State.EXPIRED

"""Properties of the CE rules over every shape: more hours never lower progress, daily sweeps
agree with the direct computation, reminders are exactly the due ones, each once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lms.credits.rules import (
    Entry,
    Holder,
    State,
    SweepRecord,
    holder_state,
    progress,
    renewal_check,
    status,
    sweep,
)
from lms.programme import Programme
from tests.credits.shapes import AICP, LEED, PMP, our_programme, programme

SHAPES: list[Programme] = [programme(LEED), programme(AICP), programme(PMP), our_programme()]
ONE = dt.timedelta(days=1)


@st.composite
def scenarios(draw: st.DrawFn, max_entries: int = 12) -> tuple[Programme, Holder, list[Entry]]:
    shape = draw(st.sampled_from(SHAPES))
    earned = draw(st.just(dt.date(2024, 2, 29))
                  | st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31)))
    categories = sorted(shape.categories)
    types = sorted(shape.activity_types)
    count = draw(st.integers(0, max_entries))
    entries = [
        Entry(f"k{index:03d}",
              earned + dt.timedelta(days=draw(st.integers(-30, 1300))),
              Decimal(draw(st.integers(0, 60))) / 2,
              draw(st.sampled_from(categories)),
              draw(st.sampled_from(types)),
              draw(st.sampled_from(["approved", "approved", "approved", "pending"])))
        for index in range(count)]
    return shape, Holder(earned), entries


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_an_approved_entry_never_lowers_progress(scenario, data: st.DataObject):
    shape, holder, entries = scenario
    today = holder.earned_on + dt.timedelta(days=data.draw(st.integers(0, 1000)))
    if data.draw(st.booleans()):   # also across a renewal, where carry-over comes in
        check = renewal_check(shape, holder, entries, today)
        if check.renewal is not None:
            holder = holder.renewed(check.renewal)
            today += dt.timedelta(days=data.draw(st.integers(0, 800)))
    before = progress(shape, holder, entries, today)
    assume(before.counted_from <= before.counted_until)   # the cycle has begun
    added = Entry("zz-new", data.draw(st.dates(before.counted_from, before.counted_until)),
                  Decimal(data.draw(st.integers(0, 40))) / 2,
                  data.draw(st.sampled_from(sorted(shape.categories))),
                  data.draw(st.sampled_from(sorted(shape.activity_types))))
    after = progress(shape, holder, [*entries, added], today)
    assert after.total >= before.total
    assert after.cycle == before.cycle
    assert sum(c.counted + c.trimmed for c in after.entries) == \
        sum(c.counted + c.trimmed for c in before.entries) + added.hours
    text = status(shape, holder, [*entries, added], today)
    assert (text.missing == "") == text.progress.met


def _renew_policy(policy: str, shape: Programme, holder: Holder, entries: list[Entry],
                  day: dt.date) -> Holder:
    if policy == "never":
        return holder
    check = renewal_check(shape, holder, entries, day)
    if check.renewal is None:
        return holder
    state = holder_state(shape, holder, day)[0]
    if policy == "asap" and not check.reinstatement:
        return holder.renewed(check.renewal)
    if policy == "late" and state is State.GRACE:
        return holder.renewed(check.renewal)
    if policy == "reinstate":
        return holder.renewed(check.renewal)
    return holder


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_entries=8), st.sampled_from(["never", "asap", "late", "reinstate"]),
       st.integers(0, 400), st.integers(200, 900))
def test_daily_sweeps_match_the_direct_state_and_send_exactly_the_due_reminders(
        scenario, policy: str, offset: int, length: int):
    shape, holder, all_entries = scenario
    record: SweepRecord | None = None
    sent: Counter[tuple[int, int]] = Counter()
    expected: set[tuple[int, int]] = set()
    day = holder.earned_on + dt.timedelta(days=offset)
    last = day + dt.timedelta(days=length)
    while day <= last:
        known = [e for e in all_entries if e.on <= day]      # reported by that day
        state, cycle = holder_state(shape, holder, day)
        short = not progress(shape, holder, known, day, cycle.index).met
        for days in shape.maintenance.reminder_days:
            if (state is State.ACTIVE and cycle.start <= day and short
                    and day == cycle.end - dt.timedelta(days=days)):
                expected.add((cycle.index, days))
        result = sweep(shape, holder, known, day, record)
        assert result.record.state is state                  # the sweep's state is the direct one
        for reminder in result.to_send:
            assert state is State.ACTIVE and short
            assert cycle.end - dt.timedelta(days=reminder.days) <= day < cycle.end
            sent[reminder.key] += 1
        record = result.record
        holder = _renew_policy(policy, shape, holder, known, day)
        day += ONE
    assert all(count == 1 for count in sent.values()), sent
    assert set(sent) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_entries=8), st.lists(st.integers(1, 60), min_size=1, max_size=40))
def test_sweeps_with_missed_days_catch_up(scenario, gaps: list[int]):
    shape, holder, entries = scenario
    record: SweepRecord | None = None
    sent: Counter[tuple[int, int]] = Counter()
    day = holder.earned_on
    for gap in gaps:
        day += dt.timedelta(days=gap)
        result = sweep(shape, holder, entries, day, record)
        assert result.record.state is holder_state(shape, holder, day)[0]
        assert len(result.to_send) <= 1                     # never a burst of stale reminders
        for reminder in result.to_send:
            sent[reminder.key] += 1
            assert reminder.deadline >= day
        record = result.record
    assert all(count == 1 for count in sent.values())

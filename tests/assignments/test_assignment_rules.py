"""Pure assignment rules: rubric totals, weighted kappa, reviewer choice, shingles."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.assignments import rules

RUBRIC = [{"criterion": "Voice", "levels": [{"label": "A", "points": 4},
                                            {"label": "B", "points": 3},
                                            {"label": "C", "points": 1}]},
          {"criterion": "Evidence", "levels": [{"label": "A", "points": 2.5},
                                               {"label": "B", "points": 0}]}]

rubrics = st.lists(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1,
                            max_size=6), min_size=1, max_size=8).map(
    lambda rows: [{"criterion": f"c{i}", "levels": [{"label": f"l{j}", "points": p}
                                                     for j, p in enumerate(row)]}
                  for i, row in enumerate(rows)])


@given(rubrics, st.data())
def test_totals_stay_within_zero_and_the_maximum(rubric, data):
    levels = [data.draw(st.integers(0, len(c["levels"]) - 1)) for c in rubric]
    total = rules.total(rubric, levels)
    assert 0 <= total <= rules.max_points(rubric) + 1e-9
    assert 0 <= rules.percent(rubric, levels) <= 100


def test_totals_and_percent():
    assert rules.total(RUBRIC, [0, 0]) == 6.5
    assert rules.percent(RUBRIC, [1, 1]) == round(300 / 6.5, 2)


def test_a_missing_or_unknown_level_is_refused_by_name():
    with pytest.raises(rules.MarksError, match="Evidence"):
        rules.check_marks(RUBRIC, [0, None])
    with pytest.raises(rules.MarksError, match="no such level"):
        rules.check_marks(RUBRIC, [3, 0])
    with pytest.raises(rules.MarksError, match="each of the 2"):
        rules.check_marks(RUBRIC, [0])


@given(st.integers(2, 6).flatmap(lambda k: st.tuples(st.just(k), st.lists(
    st.integers(0, k - 1), min_size=1, max_size=40))))
def test_kappa_of_identical_marks_is_one(case):
    k, marks = case
    assert rules.weighted_kappa(marks, list(marks), k) == 1.0


@given(st.integers(2, 5).flatmap(lambda k: st.tuples(st.just(k), st.lists(
    st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=2, max_size=40))))
def test_kappa_is_at_most_one_and_symmetric(case):
    k, pairs = case
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    value = rules.weighted_kappa(a, b, k)
    assert value <= 1.0 + 1e-9
    assert value == pytest.approx(rules.weighted_kappa(b, a, k))


def test_kappa_worked_example():
    # Two markers, three levels: complete reversal is as bad as it gets.
    assert rules.weighted_kappa([0, 1, 2], [2, 1, 0], 3) == pytest.approx(-1.0)
    assert rules.weighted_kappa([], [], 3) is None
    per = rules.kappa_per_criterion(RUBRIC, [([0, 1], [0, 1]), ([1, 0], [2, 0])])
    assert per[1] == 1.0 and per[0] < 1.0


people_and_cohorts = st.integers(1, 40).flatmap(lambda m: st.tuples(
    st.just(m), st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=m, max_size=m),
    st.integers(1, 4), st.randoms(use_true_random=False)))


@settings(max_examples=150, deadline=None)
@given(people_and_cohorts)
def test_online_reviewer_assignment(case):
    m, cohorts, n, rng = case
    cohort_of = dict(enumerate(cohorts))
    arrivals = list(range(m))
    rng.shuffle(arrivals)
    plan = rules.assign_online(arrivals, cohort_of, n, rng)
    given_counts = {p: len(plan.reviews.get(p, [])) for p in arrivals}
    for reviewer, authors in plan.reviews.items():
        assert reviewer not in authors, "never reviews their own work"
        assert len(authors) == len(set(authors)), "never the same work twice"
    # Balanced: nobody reviews more than one extra.
    assert max(given_counts.values()) <= n + 1
    # Everyone who submits after n others is given n reviews at once.
    for position, person in enumerate(arrivals):
        if position >= n:
            assert given_counts[person] >= n
    # With more than n submitters, every submission gets at least one reviewer.
    if m > n:
        assert all(plan.reviewers_of(p) for p in arrivals)
    # Cohort first: a pair from outside the cohort only when the cohort had too few.
    for reviewer, author in plan.fallback:
        assert cohort_of[reviewer] != cohort_of[author] or cohort_of[reviewer] is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.integers(0, 6), st.one_of(st.none(), st.integers(0, 2)),
       st.integers(1, 5), st.randoms(use_true_random=False))
def test_choose_prefers_the_cohort_and_falls_back(size, others, mine, n, rng):
    candidates = ([rules.Candidate(100 + i, mine, rng.randint(0, 3)) for i in range(size)]
                  + [rules.Candidate(200 + i, "other", rng.randint(0, 3)) for i in range(others)]
                  + [rules.Candidate(1, mine, 0)])
    picks = rules.choose(1, mine, candidates, n, rng)
    ids = [p.person for p in picks]
    assert 1 not in ids and len(ids) == len(set(ids))
    assert len(picks) == min(n, size + others)
    if mine is not None:
        inside = [p for p in picks if not p.fallback]
        assert len(inside) == min(n, size), "the cohort first"
        assert all(100 <= p.person < 200 for p in inside)
        assert all(p.person >= 200 for p in picks if p.fallback)
        # Least loaded first within the cohort.
        chosen = {p.person for p in inside}
        loads = {c.person: c.load for c in candidates}
        rest = [loads[c.person] for c in candidates if 100 <= c.person < 200
                and c.person not in chosen]
        if chosen and rest:
            assert max(loads[p] for p in chosen) <= min(rest)


def test_choose_for_a_cohort_of_500_is_fast_enough():
    rng = random.Random(1)
    plan = rules.assign_online(list(range(500)), dict.fromkeys(range(500), "c"), 3, rng)
    assert all(len(plan.reviews[p]) >= 3 for p in range(3, 500))


def test_shingles_and_similarity():
    text = "The council should fund the heat plan before the transit line opens next year"
    copy = text + " and residents agree"
    other = "Completely different words about river flooding and the ward's drainage"
    assert rules.similarity(rules.shingles(text), rules.shingles(copy)) == 1.0
    assert rules.similarity(rules.shingles(text), rules.shingles(other)) == 0.0
    assert rules.shingles("") == set()
    assert len(rules.shingles("one two")) == 1
    key, share = rules.most_similar(rules.shingles(copy), [("a", rules.shingles(other)),
                                                           ("b", rules.shingles(text))])
    assert key == "b" and 0.5 < share < 1.0

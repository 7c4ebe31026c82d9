"""Assignment rules as pure functions: rubric totals, marker agreement, reviewer assignment and
similarity. No database, no clock, no Flask.

- A rubric is the parser's list ``[{"criterion", "levels": [{"label", "points", ...}]}]``; a
  set of marks is one level index per criterion.
- Agreement between two markers is Cohen's kappa with quadratic weights over a criterion's
  ordered levels (the statistic Moodle's and Turnitin's double-marking reports use).
- Peer reviewers are chosen online, when a learner submits: the least-loaded candidates first,
  the author's own cohort before the course's other learners, never the author.
- Similarity is the share of a text's word 5-gram shingles found in another text.
"""
from __future__ import annotations

import hashlib
import heapq
import random
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

SHINGLE_WORDS = 5
_WORD_RE = re.compile(r"[\w']+", re.UNICODE)


# --------------------------------------------------------------------------- rubric totals


class MarksError(ValueError):
    """Marks that do not fit the rubric (a level missing or out of range)."""


def check_marks(rubric: Sequence[Mapping[str, Any]], levels: Sequence[int | None]) -> list[int]:
    """The marks as a list of level indices, or MarksError naming the first criterion that has
    no level (or one the rubric does not have)."""
    if len(levels) != len(rubric):
        raise MarksError(f"Choose a level for each of the {len(rubric)} criteria.")
    out: list[int] = []
    for criterion, level in zip(rubric, levels, strict=True):
        if level is None:
            raise MarksError(f"Choose a level for “{criterion['criterion']}”.")
        if not 0 <= level < len(criterion["levels"]):
            raise MarksError(f"“{criterion['criterion']}” has no such level.")
        out.append(int(level))
    return out


def points_for(rubric: Sequence[Mapping[str, Any]], levels: Sequence[int]) -> list[float]:
    """Each criterion's points for the chosen levels."""
    return [float(c["levels"][lv]["points"]) for c, lv in zip(rubric, check_marks(rubric, levels),
                                                            strict=True)]


def max_points(rubric: Sequence[Mapping[str, Any]]) -> float:
    """The best total the rubric allows (each criterion's highest level)."""
    return sum(max((float(lv["points"]) for lv in c["levels"]), default=0.0) for c in rubric)


def total(rubric: Sequence[Mapping[str, Any]], levels: Sequence[int]) -> float:
    """The total of the chosen levels: within 0..max_points(rubric)."""
    return sum(points_for(rubric, levels))


def percent(rubric: Sequence[Mapping[str, Any]], levels: Sequence[int]) -> float:
    """The total as a percentage of the maximum (0 for a rubric worth nothing)."""
    best = max_points(rubric)
    return 0.0 if best <= 0 else round(100.0 * total(rubric, levels) / best, 2)


# --------------------------------------------------------------------------- agreement


def weighted_kappa(first: Sequence[int], second: Sequence[int], categories: int) -> float | None:
    """Cohen's kappa with quadratic weights for two markers' levels (0..categories-1) on the
    same items. None with no items. 1 when the markers agree on every item (also when they all
    used one level, where the textbook formula is 0/0)."""
    if len(first) != len(second):
        raise ValueError("both markers must mark the same items")
    n = len(first)
    if n == 0:
        return None
    if all(a == b for a, b in zip(first, second, strict=True)):
        return 1.0
    k = max(categories, max(first) + 1, max(second) + 1, 2)
    span = (k - 1) ** 2
    observed = sum((a - b) ** 2 for a, b in zip(first, second, strict=True)) / (span * n)
    row = [0] * k
    col = [0] * k
    for a, b in zip(first, second, strict=True):
        row[a] += 1
        col[b] += 1
    expected = sum(row[i] * col[j] * (i - j) ** 2 for i in range(k) for j in range(k)) \
        / (span * n * n)
    if expected == 0:
        return 1.0 if observed == 0 else 0.0
    return 1.0 - observed / expected


def kappa_per_criterion(rubric: Sequence[Mapping[str, Any]],
                        pairs: Iterable[tuple[Sequence[int], Sequence[int]]]) -> list[float | None]:
    """Quadratic-weighted kappa for each criterion over double-marked submissions, given
    (first marker's levels, second marker's levels) pairs."""
    pairs = list(pairs)
    out: list[float | None] = []
    for index, criterion in enumerate(rubric):
        first = [p[0][index] for p in pairs if index < len(p[0]) and index < len(p[1])]
        second = [p[1][index] for p in pairs if index < len(p[0]) and index < len(p[1])]
        out.append(weighted_kappa(first, second, len(criterion["levels"])))
    return out


# --------------------------------------------------------------------------- peer reviewers


class Candidate(NamedTuple):
    """Someone who could take part in a review: their id, cohort key (None: no cohort) and how
    many reviews they already have (given, when choosing reviewers; received, when choosing
    whose work to review)."""

    person: int
    cohort: Hashable | None
    load: int


class Pick(NamedTuple):
    person: int
    fallback: bool  # from outside the author's cohort


def choose(me: int, my_cohort: Hashable | None, candidates: Iterable[Candidate], n: int,
           rng: random.Random, *, exclude: Iterable[int] = (),
           max_load: int | None = None) -> list[Pick]:
    """Up to n people for `me`: never `me` or anyone in `exclude` (nor, with `max_load`, anyone
    whose load is already above it); people of `my_cohort` first (others only when the cohort
    has too few), the least loaded first, ties broken at random.

    A learner without a cohort (`my_cohort` None) draws from everyone enrolled.
    """
    banned = set(exclude) | {me}
    salt = rng.getrandbits(61)

    def key(c: Candidate) -> tuple[int, int]:
        # Ties broken by a per-call salted hash of the id: random, and cheap for big cohorts.
        return c.load, hash((c.person, salt))

    inside: list[Candidate] = []
    outside: list[Candidate] = []
    for c in candidates:
        if c.person in banned or (max_load is not None and c.load > max_load):
            continue
        (inside if my_cohort is not None and c.cohort == my_cohort else outside).append(c)
    picks = [Pick(c.person, False) for c in heapq.nsmallest(n, inside, key=key)]
    if len(picks) < n:
        fallback = my_cohort is not None
        picks += [Pick(c.person, fallback)
                  for c in heapq.nsmallest(n - len(picks), outside, key=key)]
    return picks


@dataclass
class ReviewPlan:
    """Who reviews whom: reviewer -> authors, with the pairs drawn from outside a cohort."""

    reviews: dict[int, list[int]]
    fallback: set[tuple[int, int]]  # (reviewer, author)

    def reviewers_of(self, author: int) -> list[int]:
        return [r for r, authors in self.reviews.items() if author in authors]


def assign_online(arrivals: Sequence[int], cohort_of: Mapping[int, Hashable | None], n: int,
                  rng: random.Random) -> ReviewPlan:
    """Reviewer assignment as the service runs it, one submission at a time in `arrivals`
    order: the newcomer is given n earlier submissions to review (fewest reviews received
    first), and the newcomer's submission is given up to n reviewers among the earlier
    submitters who have given at most n reviews (fewest first), so nobody reviews more than one
    extra. Everyone who submits after n others gives n reviews (at most n+1); each submission
    gets up to n reviewers when it arrives and more from later arrivals (fewest received
    first). The last to submit may end with fewer than n: their reviews show when the review
    window closes, and the instructor's grade never waits for them."""
    given: dict[int, int] = {}
    received: dict[int, int] = {}
    plan = ReviewPlan({}, set())
    seen: list[int] = []
    for person in arrivals:
        cohort = cohort_of.get(person)
        reviewees = choose(person, cohort, [Candidate(p, cohort_of.get(p), received[p])
                                            for p in seen], n, rng)
        for pick in reviewees:
            _add(plan, given, received, person, pick.person, pick.fallback)
        reviewers = choose(person, cohort, [Candidate(p, cohort_of.get(p), given[p])
                                            for p in seen], n, rng, max_load=n)
        for pick in reviewers:
            _add(plan, given, received, pick.person, person, pick.fallback)
        given.setdefault(person, 0)
        received.setdefault(person, 0)
        seen.append(person)
    return plan


def _add(plan: ReviewPlan, given: dict[int, int], received: dict[int, int], reviewer: int,
         author: int, fallback: bool) -> None:
    plan.reviews.setdefault(reviewer, []).append(author)
    given[reviewer] = given.get(reviewer, 0) + 1
    received[author] = received.get(author, 0) + 1
    if fallback:
        plan.fallback.add((reviewer, author))


# --------------------------------------------------------------------------- similarity


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD_RE.findall(text or "")]


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """The text's word `size`-gram shingles, each as a 63-bit hash (a text shorter than `size`
    words is one shingle)."""
    tokens = words(text)
    if not tokens:
        return set()
    grams = [tokens] if len(tokens) < size else [tokens[i:i + size]
                                                 for i in range(len(tokens) - size + 1)]
    return {int.from_bytes(hashlib.blake2b(" ".join(g).encode(), digest_size=8).digest(),
                           "big") >> 1 for g in grams}


def similarity(mine: set[int], other: set[int]) -> float:
    """The share (0..1) of `mine`'s shingles that also occur in `other`."""
    if not mine or not other:
        return 0.0
    return len(mine & other) / len(mine)


def most_similar(mine: set[int], others: Iterable[tuple[Any, set[int]]]) -> tuple[Any, float]:
    """(key, share) of the most similar of (key, shingles) `others`; (None, 0.0) for none."""
    best_key, best = None, 0.0
    for key, theirs in others:
        score = similarity(mine, theirs)
        if score > best:
            best_key, best = key, score
    return best_key, best

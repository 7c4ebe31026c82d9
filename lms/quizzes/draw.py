"""Which questions an attempt gets, in which order, and what a learner may see of them.

Pure functions: the caller passes a seeded ``random.Random`` so that an attempt can be
rebuilt, and stores the returned keys and orders with the attempt.
"""

from __future__ import annotations

import random
from typing import Any

from lms.quizzes.grading import question_points
from lms.quizzes.questions import CHOICE_TYPES, Option, Question

#: Types whose options are listed (single choice, multiple choice, true/false).


def _whole_number(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _question_tags(question: Question) -> set[str]:
    return {str(t).lower() for t in question.get("tags") or []}


def _can_fill(slots: list[str], available: list[tuple[str, set[str]]]) -> bool:
    """True if every slot (a tag) can get its own question carrying that tag.

    A bipartite matching (augmenting paths) between slots and ``available``
    (key, tags) pairs; pools are small, so this is cheap.
    """
    owner: dict[str, int] = {}  # question key -> slot index

    def assign(slot: int, visited: set[str]) -> bool:
        for key, tags in available:
            if slots[slot] in tags and key not in visited:
                visited.add(key)
                if key not in owner or assign(owner[key], visited):
                    owner[key] = slot
                    return True
        return False

    return all(assign(i, set()) for i in range(len(slots)))


def _unseen_first(entries: list[Any], key_of: Any, seen: frozenset[str],
                  rng: random.Random) -> list[Any]:
    """``entries`` shuffled, those whose key is not in ``seen`` first."""
    fresh = [e for e in entries if key_of(e) not in seen]
    stale = [e for e in entries if key_of(e) in seen]
    rng.shuffle(fresh)
    rng.shuffle(stale)
    return fresh + stale


def _blueprint_draw(pool: list[Question], blueprint: dict[str, Any],
                    rng: random.Random, seen: frozenset[str] = frozenset()) -> list[str]:
    """Draw, per tag in sorted order, the requested number of not-yet-drawn questions.

    Each pick is random among the questions carrying the tag, but never one that would
    make a later tag impossible to fill (a question with several tags counts once).
    Questions whose key is in ``seen`` are picked only when no unseen one can fill the slot.
    """
    wanted = {
        str(tag).lower(): _whole_number(n, f"blueprint count for tag {tag!r}", 0)
        for tag, n in blueprint.items()
    }
    tagged = [(q["key"], _question_tags(q)) for q in pool]
    for tag, n in sorted(wanted.items()):
        have = sum(1 for _, tags in tagged if tag in tags)
        if have < n:
            raise ValueError(
                f"blueprint asks for {n} question(s) tagged {tag!r} but the pool has only {have}"
            )
    slots = [tag for tag, n in sorted(wanted.items()) for _ in range(n)]
    if not _can_fill(slots, tagged):
        raise ValueError(
            "the blueprint cannot be met: questions carrying several blueprint tags count "
            f"only once, and the pool has too few for {dict(sorted(wanted.items()))}"
        )
    drawn: list[str] = []
    available = list(tagged)
    for i, tag in enumerate(slots):
        candidates = _unseen_first([entry for entry in available if tag in entry[1]],
                                   lambda entry: entry[0], seen, rng)
        for entry in candidates:
            rest = [a for a in available if a[0] != entry[0]]
            if _can_fill(slots[i + 1 :], rest):
                drawn.append(entry[0])
                available = rest
                break
        else:  # pragma: no cover - impossible after the feasibility check above
            raise ValueError(f"the blueprint cannot be met for tag {tag!r}")
    return drawn


def draw_questions(pool: list[Question], settings: dict[str, Any], rng: random.Random,
                   seen: frozenset[str] = frozenset()) -> list[str]:
    """Return the question keys of one attempt.

    ``settings``: ``shuffle`` (bool), ``draw`` (int or None), ``blueprint`` (tag -> n or None),
    ``avoid_repeats`` (bool). With ``avoid_repeats``, every drawn slot (per blueprint tag, then
    the rest of ``draw``) takes a question whose key is not in ``seen`` (the keys of the
    learner's earlier attempts) whenever one is left, and a seen one only when the unseen
    pool for that slot has run out; without draw/blueprint every question is asked anyway.
    Without draw/blueprint every question is asked, in authored order unless ``shuffle``.
    With a blueprint, each tag (sorted) gets its n questions not yet drawn; a larger
    ``draw`` is then filled at random from the rest of the pool. Drawn questions keep
    their pool order unless ``shuffle``. Raises ValueError when the pool cannot satisfy
    the request.
    """
    keys = [q["key"] for q in pool]
    if len(set(keys)) != len(keys):
        raise ValueError("the question pool has duplicate question keys")
    shuffle = bool(settings.get("shuffle"))
    draw = settings.get("draw")
    blueprint = settings.get("blueprint") or None
    if not settings.get("avoid_repeats"):
        seen = frozenset()

    if draw is None and blueprint is None:
        chosen = list(keys)
        if shuffle:
            rng.shuffle(chosen)
        return chosen

    if draw is not None:
        draw = _whole_number(draw, "draw")
        if draw > len(pool):
            raise ValueError(f"draw asks for {draw} questions but the pool has only {len(pool)}")

    picked: list[str] = []
    if blueprint is not None:
        if not isinstance(blueprint, dict):
            raise ValueError("blueprint must map tags to numbers of questions")
        picked = _blueprint_draw(pool, blueprint, rng, seen)
        if draw is not None and draw < len(picked):
            raise ValueError(f"draw ({draw}) is smaller than the blueprint total ({len(picked)})")
    target = draw if draw is not None else len(picked)
    if target > len(picked):
        taken = set(picked)
        rest = [k for k in keys if k not in taken]
        if seen:
            picked.extend(_unseen_first(rest, str, seen, rng)[: target - len(picked)])
        else:
            picked.extend(rng.sample(rest, target - len(picked)))

    chosen_set = set(picked)
    chosen = [k for k in keys if k in chosen_set]
    if shuffle:
        rng.shuffle(chosen)
    return chosen


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _true_first(options: list[Option]) -> list[str]:
    ids = [o["id"] for o in options]
    trues = [o["id"] for o in options if str(o.get("text", "")).strip().lower() == "true"]
    return trues + [i for i in ids if i not in trues]


def option_orders(questions: list[Question], shuffle: bool,
                  rng: random.Random) -> dict[str, list[str]]:
    """The display order of each question's choices, keyed by question key.

    single/multiple: option ids (shuffled when ``shuffle``); truefalse: True first, never
    shuffled; matching: the distinct right-hand ids, always shuffled; ordering: item ids,
    always shuffled, uniformly: the shown order may happen to be the right one, since a
    learner places every item by hand (an order that is never the right one would give the
    answer away, wholly so with two items); numeric/text: [].
    """
    orders: dict[str, list[str]] = {}
    for question in questions:
        qtype = question.get("type")
        key = question["key"]
        if qtype == "truefalse":
            orders[key] = _true_first(question.get("options") or [])
        elif qtype in CHOICE_TYPES:
            ids = [o["id"] for o in question.get("options") or []]
            if shuffle:
                rng.shuffle(ids)
            orders[key] = ids
        elif qtype == "matching":
            ids = _unique([p["right_id"] for p in question.get("pairs") or []])
            rng.shuffle(ids)
            orders[key] = ids
        elif qtype == "ordering":
            ids = [i["id"] for i in question.get("items") or []]
            rng.shuffle(ids)
            orders[key] = ids
        else:
            orders[key] = []
    return orders


def _in_order(entries: dict[str, str], order: list[str]) -> list[dict[str, str]]:
    """``entries`` (id -> text) as [{id, text}] following ``order``.

    Ids of ``order`` that are unknown are skipped; known ids missing from ``order`` are
    appended sorted by id (ids are hashes, so this reveals nothing about the answer).
    """
    listed = [i for i in _unique([o for o in order if isinstance(o, str)]) if i in entries]
    missing = sorted(i for i in entries if i not in set(listed))
    return [{"id": i, "text": entries[i]} for i in listed + missing]


def public_question(question: Question, order: list[str]) -> dict[str, Any]:
    """What a learner sees of a question before submitting (built by whitelisting).

    Contains only key, type, stem, points and the choices to display: ``options``
    (single/multiple/truefalse), ``lefts`` + ``rights`` (matching), ``items`` (ordering),
    each as [{id, text}]. Never correct flags, feedback, accepted answers, explanation or
    the correct pairing/order.
    """
    qtype = question.get("type")
    public: dict[str, Any] = {
        "key": str(question.get("key", "")),
        "type": str(qtype),
        "stem": str(question.get("stem", "")),
        "points": question_points(question),
    }
    if qtype in CHOICE_TYPES:
        options = {o["id"]: str(o.get("text", "")) for o in question.get("options") or []}
        public["options"] = _in_order(options, order)
    elif qtype == "matching":
        pairs = question.get("pairs") or []
        public["lefts"] = [{"id": p["id"], "text": str(p.get("left", ""))} for p in pairs]
        rights: dict[str, str] = {}
        for p in pairs:
            rights.setdefault(p["right_id"], str(p.get("right", "")))
        public["rights"] = _in_order(rights, order)
    elif qtype == "ordering":
        items = {i["id"]: str(i.get("text", "")) for i in question.get("items") or []}
        public["items"] = _in_order(items, order)
    return public

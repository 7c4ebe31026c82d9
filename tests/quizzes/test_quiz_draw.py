"""Tests of question drawing, option orders and the learner-facing question view."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.quizzes.draw import draw_questions, option_orders, public_question


def hid(key: str, kind: str, text: str) -> str:
    return hashlib.sha1(f"{key}|{kind}|{text}".encode()).hexdigest()[:10]  # noqa: S324


def q(key: str, tags: list[str] | None = None) -> dict:
    return {
        "key": key,
        "type": "numeric",
        "stem": key,
        "points": 1.0,
        "tags": tags or [],
        "numeric": [{"value": 1.0, "tolerance": 0.0}],
    }


# 10 questions: 4 tagged equity, 3 housing (one of them also equity), 4 untagged
POOL = [
    q("q0", ["equity"]),
    q("q1", ["equity"]),
    q("q2", ["equity", "housing"]),
    q("q3", ["equity"]),
    q("q4", ["housing"]),
    q("q5", ["housing"]),
    q("q6"),
    q("q7"),
    q("q8"),
    q("q9"),
]
KEYS = [x["key"] for x in POOL]
TAGS = {x["key"]: set(x["tags"]) for x in POOL}


def run(settings_: dict, seed: int = 1) -> list[str]:
    return draw_questions(POOL, settings_, random.Random(seed))


# --------------------------------------------------------------------------- draw_questions


def test_all_questions_in_authored_order_by_default():
    assert run({}) == KEYS
    assert run({"shuffle": False, "draw": None, "blueprint": None}) == KEYS


def test_shuffle_is_a_permutation_and_deterministic():
    shuffled = run({"shuffle": True}, seed=7)
    assert sorted(shuffled) == sorted(KEYS)
    assert shuffled == run({"shuffle": True}, seed=7)
    assert any(run({"shuffle": True}, seed=s) != KEYS for s in range(5))


def test_draw_n_keeps_pool_order_unless_shuffled():
    for seed in range(30):
        drawn = run({"draw": 4}, seed)
        assert len(drawn) == 4 == len(set(drawn))
        assert drawn == sorted(drawn, key=KEYS.index)
    assert run({"draw": 4}, 3) == run({"draw": 4}, 3)
    assert len({tuple(run({"draw": 4}, s)) for s in range(30)}) > 1
    shuffled = [run({"draw": 4, "shuffle": True}, s) for s in range(30)]
    assert any(d != sorted(d, key=KEYS.index) for d in shuffled)


def test_draw_whole_pool():
    assert run({"draw": 10}) == KEYS


@pytest.mark.parametrize("seed", range(40))
def test_blueprint_counts_per_tag(seed):
    drawn = run({"blueprint": {"housing": 2, "equity": 3}}, seed)
    assert len(drawn) == 5 == len(set(drawn))
    # equity is drawn first (sorted tag order), housing then from what is left; q2 carries
    # both tags so it may count for either, never twice
    equity = [k for k in drawn if "equity" in TAGS[k]]
    housing = [k for k in drawn if "housing" in TAGS[k]]
    assert len(equity) >= 3 and len(housing) >= 2
    assert all(TAGS[k] for k in drawn)  # untagged questions are never drawn
    assert drawn == sorted(drawn, key=KEYS.index)


def test_blueprint_with_larger_draw_fills_from_the_rest():
    for seed in range(30):
        drawn = run({"blueprint": {"housing": 1}, "draw": 6, "shuffle": True}, seed)
        assert len(drawn) == 6 == len(set(drawn))
        assert any("housing" in TAGS[k] for k in drawn)
    counts = Counter(
        k for s in range(200) for k in run({"blueprint": {"housing": 1}, "draw": 3}, s)
    )
    assert {"q6", "q7", "q8", "q9"} <= counts.keys()  # the fill comes from the whole rest


def test_blueprint_is_deterministic_with_a_seed():
    a = run({"blueprint": {"equity": 2, "housing": 2}, "draw": 7, "shuffle": True}, 99)
    b = run({"blueprint": {"equity": 2, "housing": 2}, "draw": 7, "shuffle": True}, 99)
    assert a == b


def test_blueprint_tag_matching_is_case_insensitive():
    drawn = run({"blueprint": {"Housing": 3}})
    assert sorted(drawn) == ["q2", "q4", "q5"]


def test_blueprint_uses_each_question_once():
    # all 3 housing questions for housing, then equity must come from q0, q1, q3
    for seed in range(30):
        drawn = run({"blueprint": {"equity": 3, "housing": 3}}, seed)
        assert sorted(drawn) == ["q0", "q1", "q2", "q3", "q4", "q5"]


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"draw": 11}, "pool has only 10"),
        ({"draw": 0}, "draw"),
        ({"draw": -1}, "draw"),
        ({"draw": "3"}, "draw"),
        ({"draw": True}, "draw"),
        ({"blueprint": {"equity": 5}}, "5 question\\(s\\) tagged 'equity' but the pool has only 4"),
        ({"blueprint": {"missing": 1}}, "tagged 'missing' but the pool has only 0"),
        ({"blueprint": {"equity": 4, "housing": 3}}, "cannot be met"),
        ({"blueprint": {"equity": 2, "housing": 2}, "draw": 3}, "smaller than the blueprint"),
        ({"blueprint": {"equity": -1}}, "blueprint count"),
        ({"blueprint": ["equity"]}, "blueprint"),
    ],
)
def test_impossible_requests_raise(settings_, message):
    with pytest.raises(ValueError, match=message):
        run(settings_)


def test_duplicate_keys_raise():
    with pytest.raises(ValueError, match="duplicate"):
        draw_questions([q("a"), q("a")], {}, random.Random(0))


@given(
    st.integers(0, 2**32),
    st.integers(1, 10),
    st.dictionaries(st.sampled_from(["equity", "housing"]), st.integers(0, 2)),
    st.booleans(),
)
@settings(max_examples=200)
def test_property_draw_is_a_subset_of_the_right_size(seed, n, blueprint, shuffle):
    request = {"draw": n, "blueprint": blueprint or None, "shuffle": shuffle}
    try:
        drawn = run(request, seed)
    except ValueError:
        assert n < sum(blueprint.values())
        return
    assert len(drawn) == n == len(set(drawn))
    assert set(drawn) <= set(KEYS)
    assert drawn == run(request, seed)


# --------------------------------------------------------------------------- option_orders


def choice(key: str, qtype: str, texts: list[str]) -> dict:
    return {
        "key": key,
        "type": qtype,
        "stem": key,
        "points": 1.0,
        "options": [
            {"id": hid(key, "opt", t), "text": t, "correct": i == 0, "feedback": None}
            for i, t in enumerate(texts)
        ],
    }


def matching(key: str, pairs: list[tuple[str, str]]) -> dict:
    return {
        "key": key,
        "type": "matching",
        "stem": key,
        "points": 1.0,
        "pairs": [
            {"id": hid(key, "left", a), "left": a, "right": b, "right_id": hid(key, "right", b)}
            for a, b in pairs
        ],
    }


def ordering(key: str, texts: list[str]) -> dict:
    return {
        "key": key,
        "type": "ordering",
        "stem": key,
        "points": 1.0,
        "items": [{"id": hid(key, "item", t), "text": t} for t in texts],
    }


SINGLE = choice("s", "single", ["a", "b", "c", "d"])
TF = choice("tf", "truefalse", ["False", "True"])
MATCH = matching("m", [("x", "1"), ("y", "2"), ("z", "1")])
ORDER2 = ordering("o2", ["first", "second"])
ORDER3 = ordering("o3", ["x", "y", "z"])
ORDER5 = ordering("o5", ["a", "b", "c", "d", "e"])
NUM = q("n")


def test_option_orders_without_shuffle():
    orders = option_orders([SINGLE, TF, MATCH, ORDER5, NUM], False, random.Random(0))
    assert orders["s"] == [o["id"] for o in SINGLE["options"]]
    assert orders["tf"] == [hid("tf", "opt", "True"), hid("tf", "opt", "False")]
    assert sorted(orders["m"]) == sorted({hid("m", "right", "1"), hid("m", "right", "2")})
    assert len(orders["m"]) == 2  # de-duplicated right-hand choices
    assert sorted(orders["o5"]) == sorted(i["id"] for i in ORDER5["items"])
    assert orders["n"] == []


def test_option_orders_shuffle_and_determinism():
    seen = {tuple(option_orders([SINGLE], True, random.Random(s))["s"]) for s in range(30)}
    assert len(seen) > 1
    assert all(sorted(x) == sorted(o["id"] for o in SINGLE["options"]) for x in seen)
    a = option_orders([SINGLE, TF, MATCH, ORDER5], True, random.Random(5))
    b = option_orders([SINGLE, TF, MATCH, ORDER5], True, random.Random(5))
    assert a == b


def test_truefalse_never_shuffled():
    for s in range(20):
        order = option_orders([TF], True, random.Random(s))["tf"]
        assert order == [hid("tf", "opt", "True"), hid("tf", "opt", "False")]


def test_ordering_shows_every_order_alike_so_the_shown_order_tells_nothing():
    # A shuffle that avoided the right order would give a two-item question away.
    counts = Counter(tuple(option_orders([ORDER2], False, random.Random(seed))["o2"])
                     for seed in range(2000))
    assert len(counts) == 2 and min(counts.values()) > 900
    counts = Counter(tuple(option_orders([ORDER3], False, random.Random(seed))["o3"])
                     for seed in range(6000))
    assert len(counts) == 6 and max(counts.values()) < 1150


def test_ordering_single_item():
    one = ordering("one", ["only"])
    assert option_orders([one], True, random.Random(0))["one"] == [one["items"][0]["id"]]


# --------------------------------------------------------------------------- public_question


def test_public_choice_question_is_whitelisted():
    secret = dict(SINGLE, tags=["secret-tag"], explanation="because", line=12)
    secret["options"] = [dict(o, feedback="hint " + o["text"]) for o in SINGLE["options"]]
    order = list(reversed([o["id"] for o in SINGLE["options"]]))
    public = public_question(secret, order)
    assert public == {
        "key": "s",
        "type": "single",
        "stem": "s",
        "points": 1.0,
        "options": [{"id": hid("s", "opt", t), "text": t} for t in ["d", "c", "b", "a"]],
    }
    assert "secret-tag" not in json.dumps(public)


def test_public_matching_and_ordering():
    rights_order = [hid("m", "right", "2"), hid("m", "right", "1")]
    public = public_question(MATCH, rights_order)
    assert public["lefts"] == [{"id": hid("m", "left", t), "text": t} for t in ["x", "y", "z"]]
    assert public["rights"] == [
        {"id": hid("m", "right", "2"), "text": "2"},
        {"id": hid("m", "right", "1"), "text": "1"},
    ]
    assert "pairs" not in public and "right_id" not in json.dumps(public)

    order = [hid("o5", "item", t) for t in "ecabd"]
    assert [i["text"] for i in public_question(ORDER5, order)["items"]] == list("ecabd")


def test_public_numeric_and_text_have_nothing_extra():
    assert public_question(NUM, []) == {"key": "n", "type": "numeric", "stem": "n", "points": 1.0}


def test_public_question_with_stale_order_never_reveals_authored_order():
    # an order missing ids (quiz re-imported after the attempt started): unknown ids are
    # dropped, the missing ones come sorted by id (a hash), never in authored order
    order = ["deadbeef00", hid("o5", "item", "c")]
    items = public_question(ORDER5, order)["items"]
    ids = [i["id"] for i in items]
    assert ids[0] == hid("o5", "item", "c")
    assert ids[1:] == sorted(ids[1:])
    assert len(ids) == 5


# --------------------------------------------------------------------------- avoid_repeats

# 12 questions, each in exactly one domain (as the AP exam's items are): 5 a, 4 b, 3 untagged
DOMAIN_POOL = [q(f"a{i}", ["domain-a"]) for i in range(5)] + \
    [q(f"b{i}", ["domain-b"]) for i in range(4)] + [q(f"u{i}") for i in range(3)]
DOMAIN = {x["key"]: (x["tags"] or [""])[0] for x in DOMAIN_POOL}


def test_avoid_repeats_draws_unseen_questions_first():
    request = {"blueprint": {"domain-a": 2, "domain-b": 2}, "avoid_repeats": True}
    for seed in range(30):
        seen = frozenset({"a0", "a1", "b0"})
        drawn = draw_questions(DOMAIN_POOL, request, random.Random(seed), seen)
        assert len(drawn) == 4
        assert not set(drawn) & {"a0", "a1"}  # three unseen domain-a questions are left
        assert "b0" not in drawn


def test_avoid_repeats_falls_back_to_seen_questions_only_where_the_pool_runs_out():
    request = {"blueprint": {"domain-a": 2, "domain-b": 3}, "avoid_repeats": True}
    seen = frozenset({"b0", "b1", "b2", "a0"})
    for seed in range(30):
        drawn = draw_questions(DOMAIN_POOL, request, random.Random(seed), seen)
        b = [k for k in drawn if DOMAIN[k] == "domain-b"]
        assert "b3" in b and len(b) == 3  # the one unseen, then two of the seen
        assert "a0" not in drawn


def test_avoid_repeats_off_ignores_what_was_seen():
    request = {"draw": 3}
    seen = frozenset({"a0", "a1", "a2"})
    drawn = {k for s in range(200)
             for k in draw_questions(DOMAIN_POOL, request, random.Random(s), seen)}
    assert seen <= drawn


def test_avoid_repeats_with_draw_only_and_with_the_rest_of_a_draw():
    seen = frozenset(k for k in DOMAIN if k != "u2")
    for seed in range(20):
        drawn = draw_questions(DOMAIN_POOL, {"draw": 1, "avoid_repeats": True},
                               random.Random(seed), seen)
        assert drawn == ["u2"]
        drawn = draw_questions(DOMAIN_POOL, {"blueprint": {"domain-a": 1}, "draw": 2,
                                             "avoid_repeats": True}, random.Random(seed), seen)
        assert "u2" in drawn and len(drawn) == 2


def test_avoid_repeats_without_draw_asks_every_question():
    keys = [x["key"] for x in DOMAIN_POOL]
    assert draw_questions(DOMAIN_POOL, {"avoid_repeats": True}, random.Random(1),
                          frozenset(keys[:4])) == keys


@given(st.integers(0, 2**32), st.integers(0, 5), st.integers(0, 4),
       st.sets(st.sampled_from(sorted(DOMAIN))), st.booleans())
@settings(max_examples=200)
def test_property_avoid_repeats_takes_seen_only_when_unseen_run_out(seed, na, nb, seen, shuffle):
    blueprint = {k: v for k, v in {"domain-a": na, "domain-b": nb}.items() if v}
    request = {"blueprint": blueprint or None, "draw": None if blueprint else 3,
               "avoid_repeats": True, "shuffle": shuffle}
    seen_keys = frozenset(seen)
    drawn = draw_questions(DOMAIN_POOL, request, random.Random(seed), seen_keys)
    assert len(drawn) == len(set(drawn)) == (sum(blueprint.values()) if blueprint else 3)
    groups = {"domain-a": na, "domain-b": nb} if blueprint else {None: 3}
    for domain, wanted in groups.items():
        pool = [k for k in DOMAIN if domain is None or DOMAIN[k] == domain]
        unseen = [k for k in pool if k not in seen_keys]
        taken_seen = [k for k in drawn if k in pool and k in seen_keys]
        assert len(taken_seen) == max(0, wanted - len(unseen))
    assert drawn == draw_questions(DOMAIN_POOL, request, random.Random(seed), seen_keys)

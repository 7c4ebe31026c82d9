"""Search: the same tests run on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""
from __future__ import annotations

from lms.community import search, services


def post(world, user, key, now, title, body):
    return services.create_thread(user, key, kind="discussion", title=title, body=body,
                                  anonymous=False, now=now)


def test_finds_stemmed_words_in_bodies_and_titles_ranked(world, now):
    a = post(world, world.ana, world.course_key, now, "Resilience hubs",
             "Our library became a resilience hub during the heatwave.")
    b = post(world, world.ben, world.course_key, now, "Bus routes",
             "Cooling centres should sit on frequent bus routes.")
    hits, info = search.search(world.viewer(world.cara), "resilient hubs")
    assert [h.thread_id for h in hits] == [a.id]
    hits, _ = search.search(world.viewer(world.cara), "bus")
    assert [h.thread_id for h in hits] == [b.id]
    hits, _ = search.search(world.viewer(world.cara), "routes")
    assert info.total == 1 and [h.thread_id for h in hits] == [b.id]


def test_only_what_the_member_can_see(world, now):
    post(world, world.ana, world.cohort_a_key, now, "Private plans", "Cohort A watershed plan")
    post(world, world.cara, world.course_key, now, "Course talk", "Course watershed notes")
    post(world, world.outsider, "network:climate-resilience", now, "Network",
         "Network watershed ideas")
    found = {user.name: {h.title for h in search.search(world.viewer(user), "watershed")[0]}
             for user in (world.ben, world.cara, world.outsider, world.registrar)}
    assert found["Ben Okafor"] == {"Private plans", "Course talk", "Network"}
    assert found["Cara Singh"] == {"Course talk", "Network"}
    assert found["Olu Outside"] == {"Network"}
    assert found["Rae Registrar"] == {"Private plans", "Course talk", "Network"}


def test_hidden_deleted_and_pending_posts_are_not_found(world, app, now):
    thread = post(world, world.ana, world.course_key, now, "Open", "A visible note")
    gone = services.reply(world.ben, thread, body="zebra crossing removed", anonymous=False,
                          quote_of_id=None, now=now)
    services.delete_post(world.ben, gone, now)
    hidden = services.reply(world.cara, thread, body="zebra stripes hidden", anonymous=False,
                            quote_of_id=None, now=now)
    services.moderate(world.teacher, hidden, "hide", "", now)
    app.config["COMMUNITY_MAX_LINKS"] = 0
    services.reply(world.cara, thread, body="zebra https://x.example", anonymous=False,
                   quote_of_id=None, now=now)
    assert search.search(world.viewer(world.registrar), "zebra")[0] == []


def test_edits_are_searchable_and_highlights_are_escaped(world, now):
    thread = post(world, world.ana, world.course_key, now, "Markup",
                  "plain words only")
    opening = services.read_thread(world.viewer(world.ana), thread, page=1, now=now).posts[0].post
    services.edit_post(world.ana, opening, body="<script>alert(1)</script> floodplain & <b>x</b>",
                       now=now)
    hits, _ = search.search(world.viewer(world.ben), "floodplain")
    assert len(hits) == 1
    snippet = str(hits[0].snippet)
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "<mark>floodplain</mark>" in snippet and "&amp;" in snippet
    assert search.search(world.viewer(world.ben), "plain words")[0] == []


def test_empty_and_punctuation_queries_find_nothing(world, now):
    post(world, world.ana, world.course_key, now, "Anything", "Some text")
    for q in ("", "   ", '"', "*", "AND OR NOT", "a"):
        hits, info = search.search(world.viewer(world.ana), q)
        assert info.total == 0 or q == "AND OR NOT"


def test_a_word_in_very_many_posts_ranks_only_the_newest_matches(world, now, monkeypatch):
    """The cap that bounds a search's work at scale: only the newest MAX_CANDIDATES visible
    matches are ranked and counted, and the page says there may be more."""
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    thread = post(world, world.ana, world.course_key, now, "Trees", "First tree note")
    replies = [services.reply(world.ben, thread, body=f"tree note {i}", anonymous=False,
                              quote_of_id=None, now=now) for i in range(4)]
    hits, info = search.search(world.viewer(world.cara), "tree")
    assert info.total == 3 and search.capped(info)
    assert {h.post_id for h in hits} == {r.id for r in replies[-3:]}
    hits, info = search.search(world.viewer(world.cara), "first tree")
    assert info.total == 1 and not search.capped(info)


"""Issue 7, authoring: browser saves pass `courses check` (front matter included), drafts
(save, preview, publish, discard), the diff of a removed `---` line, and a quiz item whose type
changes retiring its quiz."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.courses import parser, services
from lms.courses.models import ItemDraft, ItemRevision
from lms.errors import Conflict, ValidationError
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Quiz
from tests.builders import BARE_QUIZ_MD, basic_course, client_for, count, lesson, text_of
from tests.courses.test_course_authoring import OWNER, item

WELCOME = "/courses/C-1/items/welcome"


@pytest.fixture
def tree(setup):
    return setup({"c1": basic_course("C-1", instructors=[OWNER], quiz=BARE_QUIZ_MD,
                                     wrap_up=False)})


@pytest.fixture
def owner(make_user):
    return make_user("instructor", email=OWNER, name="Olive Owner")


@pytest.mark.parametrize("text", [
    "title: Welcome\n\nHello.\n",                 # both `---` lines deleted
    "title: Welcome\n---\n\nHello.\n",            # the opening one deleted: YAML as a heading
    "\ntitle: Welcome\nestimated_minutes: 5\n\nHello.\n",
])
def test_front_matter_without_its_opening_line_is_a_check_problem(text):
    parsed, problems = parser.parse_item_text(text, source_path="01-welcome.md", slug="welcome")
    assert [p.message for p in problems if "must start with a '---' line" in p.message]


@pytest.mark.parametrize("text", ["Hello: a lesson that starts with a colon phrase.\n",
                                  "---\ntitle: Fine\n---\n\nHello.\n", "# Plain\n\nText.\n"])
def test_ordinary_lessons_are_not_mistaken_for_front_matter(text):
    _, problems = parser.parse_item_text(text, source_path="01-x.md", slug="x")
    assert not problems


def test_the_same_rule_runs_in_courses_check(tmp_path):
    from tests.builders import write_tree

    files = basic_course("C-9")
    files["01-welcome.md"] = "title: Welcome\n---\n\nHello.\n"
    root = write_tree(tmp_path / "courses", {"c9": files})
    problems = parser.check(root)
    assert any(p.path.endswith("01-welcome.md") and p.line == 1
               and "must start with a '---' line" in p.message for p in problems)


def test_a_browser_save_without_front_matter_fences_is_refused_and_the_text_kept(
        app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    broken = "title: Welcome\n---\n\nHello, edited.\n"

    response = client.post(f"{WELCOME}/edit", data={"source": broken, "base_revision": "1"})

    page = text_of(response)
    assert response.status_code == 200
    problems = page.split('id="editor-problems"', 1)[1].split("</div>", 1)[0]
    assert re.search(r"<li><strong>1:</strong> front matter must start with a &#39;---&#39; "
                     r"line", problems)
    assert "Hello, edited." in page  # the author's text stays in the editor
    assert item("welcome").revision == 1
    learner_view = item("welcome").body
    assert "title: Welcome" not in learner_view


def test_a_draft_is_private_until_published(app, tree, owner, make_user, sign_in, now):
    learner = make_user()
    services.enrol(learner, item("welcome").course, now)
    teacher = client_for(app, sign_in, owner)
    draft_text = lesson("Welcome", "Draft words only instructors see.")

    response = teacher.post(f"{WELCOME}/edit", data={"source": draft_text, "base_revision": "1",
                                                     "save_draft": "Save draft"},
                            follow_redirects=True)
    page = text_of(response)
    assert "Draft saved" in page and "Draft words only instructors see." in page
    assert item("welcome").revision == 1 and count(ItemDraft) == 1
    preview = text_of(teacher.get(f"{WELCOME}/draft"))
    assert "Draft preview" in preview and "Draft words only instructors see." in preview

    learner_client = client_for(app, sign_in, learner)
    assert "Draft words" not in text_of(learner_client.get(WELCOME))
    assert learner_client.get(f"{WELCOME}/draft").status_code == 403

    teacher = client_for(app, sign_in, owner)
    response = teacher.post(f"{WELCOME}/edit", data={"source": draft_text, "base_revision": "1",
                                                     "submit": "Publish"}, follow_redirects=True)
    assert "Saved as revision 2." in text_of(response)
    assert count(ItemDraft) == 0
    learner_client = client_for(app, sign_in, learner)
    assert "Draft words only instructors see." in text_of(learner_client.get(WELCOME))


def test_discarding_a_draft_keeps_the_published_text(app, tree, owner, sign_in, now):
    services.save_draft(item("welcome"), lesson("Welcome", "Scrap this."), owner, now)
    client = client_for(app, sign_in, owner)
    assert "Scrap this." in text_of(client.get(f"{WELCOME}/edit"))  # the editor opens the draft

    response = client.post(f"{WELCOME}/edit", data={"source": "x", "base_revision": "1",
                                                    "discard": "Discard draft"},
                           follow_redirects=True)

    assert "Draft discarded." in text_of(response)
    assert count(ItemDraft) == 0 and item("welcome").revision == 1
    assert "Scrap this." not in text_of(client.get(f"{WELCOME}/edit"))


def test_publishing_a_draft_with_problems_changes_nothing(app, tree, owner, now):
    services.save_draft(item("welcome"), "title: x\n---\nBody\n", owner, now)
    with pytest.raises(services.SourceProblems) as err:
        services.publish_source(item("welcome"), "title: x\n---\nBody\n", owner, now)
    assert err.value.problems[0][0] == 1
    assert count(ItemDraft) == 1 and item("welcome").revision == 1


def test_the_diff_shows_a_removed_dash_line_as_a_deletion(app, tree, owner, sign_in, now):
    with_rule = lesson("Welcome", "Above.\n\n---\n\nBelow.")
    services.save_item_source(item("welcome"), with_rule, owner, now)
    services.save_item_source(item("welcome"), lesson("Welcome", "Above.\n\nBelow."), owner,
                              now + timedelta(minutes=1))

    diff = services.revision_diff(item("welcome"), 3)

    assert ("del", "----") in diff
    assert [kind for kind, _ in diff[:2]] == ["meta", "meta"]
    page = text_of(client_for(app, sign_in, owner).get(f"{WELCOME}/revisions/3"))
    assert '<span class="diff-del"><span class="visually-hidden">removed: </span>----' in page


def test_changing_a_quiz_into_a_lesson_retires_the_quiz(app, tree, owner, make_user, sign_in,
                                                         now):
    check = item("basics/check")
    quiz = quizzes.quiz_for_item(check)
    learner, other = make_user(), make_user()
    for user in (learner, other):
        services.enrol(user, check.course, now)
    attempt = quizzes.start_attempt(quiz, learner, services.get_enrolment(learner, check.course),
                                    now)
    quizzes.submit_attempt(attempt, None, now)
    midway = make_user()
    services.enrol(midway, check.course, now)
    open_attempt = quizzes.start_attempt(quiz, midway,
                                         services.get_enrolment(midway, check.course), now)

    services.save_item_source(item("basics/check"), lesson("Basics", "Now a reading."), owner,
                              now + timedelta(hours=1))

    # an attempt in progress cannot be continued either
    app.config["FROZEN_NOW"] = now + timedelta(hours=1)
    continuing = client_for(app, sign_in, midway).get(f"/quiz/attempts/{open_attempt.id}")
    assert continuing.status_code == 403 and "retired" in text_of(continuing)

    quiz = db.session.scalar(select(Quiz).where(Quiz.id == quiz.id))
    assert quiz.retired_at is not None
    with pytest.raises(ValidationError, match="retired"):
        quizzes.start_attempt(quiz, other, services.get_enrolment(other, check.course), now)
    response = client_for(app, sign_in, other).post(f"/quiz/{quiz.id}/start")
    assert count(Attempt, Attempt.user_id == other.id) == 0
    assert response.status_code in (302, 400)
    staff = client_for(app, sign_in, owner)
    results = staff.get(f"/quiz/{quiz.id}/results")
    assert results.status_code == 200 and learner.name in text_of(results)
    assert staff.get(f"/quiz/{quiz.id}/attempts/{attempt.id}").status_code == 200

    services.save_item_source(item("basics/check"), BARE_QUIZ_MD, owner, now + timedelta(hours=2))
    assert db.session.scalar(select(Quiz.retired_at).where(Quiz.id == quiz.id)) is None
    assert count(ItemRevision) >= 5


def test_an_over_long_note_is_refused_with_a_message_not_cut(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    page = text_of(client.get(f"{WELCOME}/edit"))
    assert "maxlength" not in page  # a browser limit would cut pasted text without a word

    response = client.post(f"{WELCOME}/edit", data={
        "source": lesson("Welcome", "Changed."), "base_revision": "1", "note": "n" * 301})

    page = text_of(response)
    assert "At most 300 characters: this has 301. Shorten it; nothing was cut." in page
    assert "Changed." in page and item("welcome").revision == 1


def test_a_stale_draft_or_publish_is_a_conflict_and_changes_nothing(app, tree, owner, now):
    """Drafts and publishing share save_item_source's edit-conflict check (base_revision)."""
    services.save_item_source(item("welcome"), lesson("Welcome", "Someone else's."), owner, now)
    assert item("welcome").revision == 2
    with pytest.raises(Conflict):
        services.save_draft(item("welcome"), lesson("Welcome", "Mine."), owner, now,
                            base_revision=1)
    with pytest.raises(Conflict):
        services.publish_source(item("welcome"), lesson("Welcome", "Mine."), owner, now,
                                base_revision=1)
    assert count(ItemDraft) == 0 and item("welcome").revision == 2
    assert "Someone else's." in item("welcome").source

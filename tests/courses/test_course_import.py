"""Importing Markdown courses: idempotent, transactional, matched by code + slug, revisioned.

Each test writes a small course tree (program.yml + course folders) in tmp_path and imports it
with ``services.import_courses(root, now)``. The last test imports the real curriculum.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.courses import services
from lms.courses.models import (
    Course,
    CourseAsset,
    CourseRevision,
    Enrolment,
    Item,
    ItemProgress,
    ItemRevision,
    Module,
)
from lms.courses.signals import item_synced
from lms.extensions import db
from tests.builders import (
    PNG,
    QUIZ_MD,
    basic_course,
    count,
    course,
    course_md,
    item,
    lesson,
    write_tree,
)

REPO = Path(__file__).resolve().parents[2]

ASSIGNMENT_MD = """\
---
type: assignment
title: Case memo
---

Write a memo.

## Rubric
| Criterion | Good (2) | Poor (1) |
|---|---|---|
| Clarity | clear | unclear |
"""


def snapshot() -> dict:
    """Everything an import can change, as plain data."""
    db.session.expire_all()
    return {
        "courses": sorted((c.code, c.title, c.revision, c.source, c.item_count, c.published)
                          for c in db.session.scalars(select(Course))),
        "items": sorted((i.course_id, i.slug, i.revision, i.source, i.active, i.position)
                        for i in db.session.scalars(select(Item))),
        "modules": sorted((m.course_id, m.slug, m.title, m.active)
                          for m in db.session.scalars(select(Module))),
        "course_revisions": count(CourseRevision),
        "item_revisions": count(ItemRevision),
        "assets": sorted((a.path, a.content_hash) for a in db.session.scalars(select(CourseAsset))),
    }


# ---------------------------------------------------------------- first import


def test_first_import_creates_course_modules_items_assets_and_revisions(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course(
        "C-1", instructors=["Teacher@Example.org"], ce_hours=1.5, level="intermediate")})

    report = services.import_courses(root, now)

    assert report.created == ["C-1"] and not report.updated and not report.unchanged
    c = course("C-1")
    assert c.title == "Course C-1" and c.summary == "About C-1."
    assert c.overview == "Overview text."
    assert c.ce_hours == Decimal("1.5") and c.ce_category == "equity"
    assert c.level == "intermediate" and c.published is True
    assert c.instructor_emails == ["teacher@example.org"]
    assert c.dirname == "c1"
    assert [(i.slug, i.kind, i.position) for i in c.items] == [
        ("welcome", "lesson", 1), ("basics/first", "lesson", 2), ("basics/check", "quiz", 3),
        ("wrap-up", "lesson", 4)]
    assert c.item_count == 4
    assert c.estimated_minutes == sum(i.estimated_minutes for i in c.items) > 0
    [module] = c.modules
    assert (module.slug, module.title, module.summary) == ("basics", "The basics",
                                                           "First things.")
    assert item("C-1", "basics/first").module_id == module.id
    assert item("C-1", "welcome").module_id is None
    assert c.revision == 1
    [rev] = db.session.scalars(select(CourseRevision).where(CourseRevision.course_id == c.id))
    assert (rev.number, rev.source, rev.created_at) == (1, "import", now)
    revisions = list(db.session.scalars(select(ItemRevision)))
    assert len(revisions) == 4
    assert {(r.number, r.origin, r.author_id) for r in revisions} == {(1, "import", None)}
    welcome = item("C-1", "welcome")
    assert welcome.body.strip().startswith("Hello.")
    assert "title: Welcome" in welcome.source and "title:" not in welcome.body
    [asset] = db.session.scalars(select(CourseAsset))
    assert (asset.path, asset.mimetype, asset.content) == ("map.png", "image/png", PNG)


def test_quiz_items_get_their_questions_from_the_quiz_engine(app, tmp_path, now):
    from lms.quizzes.models import Question, Quiz

    root = write_tree(tmp_path / "courses", {"c1": basic_course()})
    services.import_courses(root, now)

    quiz = db.session.scalar(select(Quiz).where(Quiz.item_id == item("C-1", "basics/check").id))
    assert quiz is not None
    assert quiz.settings["passing_score"] == 50
    assert count(Question) == 1


def test_import_of_an_empty_database_with_a_problem_creates_nothing(app, tmp_path, now):
    files = basic_course("C-1")
    files["02-basics/02-check.md"] = QUIZ_MD.replace("= 4", "")  # a question with no answer
    root = write_tree(tmp_path / "courses", {"c1": files, "c2": basic_course("C-2")})

    with pytest.raises(services.ImportFailed) as err:
        services.import_courses(root, now)

    assert err.value.problems
    assert any("02-check.md" in p.path for p in err.value.problems)
    assert count(Course) == count(Item) == count(ItemRevision) == count(CourseRevision) == 0


# ---------------------------------------------------------------- idempotence


def test_reimporting_unchanged_files_changes_nothing(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})
    services.import_courses(root, now)
    before = snapshot()

    report = services.import_courses(root, now + timedelta(days=1))

    assert report.unchanged == ["C-1", "C-2"] and not report.created and not report.updated
    assert snapshot() == before
    assert course("C-1").updated_at == now


def test_reimporting_an_edited_lesson_updates_it_in_place_and_keeps_progress(
        app, tmp_path, now, make_user):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    learner = make_user()
    c = course("C-1")
    enrolment = services.enrol(learner, c, now)
    first = item("C-1", "basics/first")
    first_id = first.id
    services.complete_lesson(enrolment, first, now)
    enrolment_id = enrolment.id

    (root / "c1" / "02-basics" / "01-first.md").write_text(
        lesson("First steps, revised", "Better text."), encoding="utf-8")
    later = now + timedelta(hours=2)
    report = services.import_courses(root, later)

    assert report.updated == ["C-1"]
    db.session.expire_all()
    edited = item("C-1", "basics/first")
    assert edited.id == first_id
    assert edited.title == "First steps, revised" and "Better text." in edited.body
    assert edited.revision == 2 and edited.updated_at == later
    revs = list(db.session.scalars(select(ItemRevision).where(ItemRevision.item_id == first_id)
                                   .order_by(ItemRevision.number)))
    assert [(r.number, r.origin) for r in revs] == [(1, "import"), (2, "import")]
    assert "Better text." in revs[1].source and "Better text." not in revs[0].source
    # the other items got no new revision
    assert item("C-1", "welcome").revision == 1
    c = course("C-1")
    assert c.revision == 2 and c.updated_at == later
    last = db.session.scalar(select(CourseRevision).where(CourseRevision.course_id == c.id,
                                                          CourseRevision.number == 2))
    assert last.source == "import" and "basics/first" in last.summary
    # the learner keeps the enrolment and the progress
    assert db.session.get(Enrolment, enrolment_id) is not None
    assert db.session.scalar(select(ItemProgress.item_id).where(
        ItemProgress.enrolment_id == enrolment_id)) == first_id
    assert services.progress(db.session.get(Enrolment, enrolment_id), c).done == 1


def test_course_md_edit_updates_the_course_without_touching_items(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    course_id = course("C-1").id

    (root / "c1" / "course.md").write_text(
        course_md("C-1", "Renamed", ce_hours=3, ce_category="climate", level="advanced",
                  published=False), encoding="utf-8")
    report = services.import_courses(root, now)

    assert report.updated == ["C-1"]
    db.session.expire_all()
    c = course("C-1")
    assert c.id == course_id
    assert (c.title, c.ce_hours, c.ce_category, c.level, c.published) == (
        "Renamed", Decimal("3"), "climate", "advanced", False)
    assert c.revision == 2
    assert {i.revision for i in c.items} == {1}


def test_reordering_files_keeps_item_identity_and_records_a_revision(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    ids = {i.slug: i.id for i in course("C-1").items}

    # wrap-up moves first: renumber its file; welcome moves last
    (root / "c1" / "03-wrap-up.md").rename(root / "c1" / "00-wrap-up.md")
    (root / "c1" / "01-welcome.md").rename(root / "c1" / "09-welcome.md")
    report = services.import_courses(root, now)

    assert report.updated == ["C-1"]
    db.session.expire_all()
    c = course("C-1")
    assert [i.slug for i in c.items if i.active] == [
        "wrap-up", "basics/first", "basics/check", "welcome"]
    assert {i.slug: i.id for i in c.items} == ids
    assert {i.revision for i in c.items} == {1}  # content unchanged: no item revision
    assert c.revision == 2
    assert item("C-1", "welcome").source_path == "09-welcome.md"


def test_removed_file_deactivates_its_item_and_restoring_it_brings_back_progress(
        app, tmp_path, now, make_user):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    learner = make_user()
    enrolment = services.enrol(learner, course("C-1"), now)
    wrap = item("C-1", "wrap-up")
    wrap_id = wrap.id
    services.complete_lesson(enrolment, wrap, now)
    enrolment_id = enrolment.id

    text = (root / "c1" / "03-wrap-up.md").read_text(encoding="utf-8")
    (root / "c1" / "03-wrap-up.md").unlink()
    services.import_courses(root, now)
    db.session.expire_all()
    c = course("C-1")
    assert db.session.get(Item, wrap_id).active is False
    assert c.item_count == 3
    e = db.session.get(Enrolment, enrolment_id)
    assert services.progress(e, c).done == 0  # progress on a removed item does not count

    (root / "c1" / "03-wrap-up.md").write_text(text, encoding="utf-8")
    services.import_courses(root, now)
    db.session.expire_all()
    back = item("C-1", "wrap-up")
    assert back.id == wrap_id and back.active is True and back.revision == 1
    assert course("C-1").item_count == 4
    assert services.progress(db.session.get(Enrolment, enrolment_id), course("C-1")).done == 1


def test_adding_a_lesson_and_a_module_and_removing_a_module(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)

    write_tree(root, {"c1": {"04-extra/01-more.md": lesson("More")}})
    for name in ("module.md", "01-first.md", "02-check.md"):
        (root / "c1" / "02-basics" / name).unlink()
    (root / "c1" / "02-basics").rmdir()
    services.import_courses(root, now)

    db.session.expire_all()
    c = course("C-1")
    assert [i.slug for i in c.items if i.active] == ["welcome", "wrap-up", "extra/more"]
    assert {m.slug: m.active for m in c.modules} == {"basics": False, "extra": True}
    assert item("C-1", "extra/more").revision == 1
    assert c.item_count == 3


def test_changed_and_removed_assets_are_synced(app, tmp_path, now):
    files = basic_course("C-1")
    files["assets/notes.pdf"] = b"%PDF-1.4 first"
    root = write_tree(tmp_path / "courses", {"c1": files})
    services.import_courses(root, now)

    (root / "c1" / "assets" / "notes.pdf").write_bytes(b"%PDF-1.4 second")
    (root / "c1" / "01-welcome.md").write_text(lesson("Welcome", "No image."), encoding="utf-8")
    (root / "c1" / "assets" / "map.png").unlink()
    report = services.import_courses(root, now)

    assert report.updated == ["C-1"]
    [asset] = db.session.scalars(select(CourseAsset))
    assert (asset.path, asset.content, asset.mimetype) == (
        "notes.pdf", b"%PDF-1.4 second", "application/pdf")


def test_importing_one_course_folder_leaves_the_others_alone(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2", prerequisites=["C-1"])})
    services.import_courses(root, now)
    (root / "c1" / "01-welcome.md").write_text(lesson("Welcome", "Changed."), encoding="utf-8")
    (root / "c2" / "01-welcome.md").write_text(lesson("Welcome", "Changed."), encoding="utf-8")

    report = services.import_courses(root, now, only=[root / "c2"])

    assert report.updated == ["C-2"] and not report.unchanged
    assert item("C-1", "welcome").revision == 1
    assert item("C-2", "welcome").revision == 2


def test_prerequisite_already_in_the_database_is_accepted(app, tmp_path, now):
    first = write_tree(tmp_path / "one", {"c1": basic_course("C-1")})
    services.import_courses(first, now)
    second = write_tree(tmp_path / "two", {"c2": basic_course("C-2", prerequisites=["C-1"])})

    services.import_courses(second, now)

    assert course("C-2").prerequisites == ["C-1"]


# ---------------------------------------------------------------- failing imports


def test_a_failing_import_changes_nothing(app, tmp_path, now, make_user):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})
    services.import_courses(root, now)
    learner = make_user()
    services.enrol(learner, course("C-1"), now)
    before = snapshot()

    # a good edit in C-1, a new course, and a problem in C-2: nothing may be imported
    (root / "c1" / "01-welcome.md").write_text(lesson("Welcome", "Edited."), encoding="utf-8")
    write_tree(root, {"c3": basic_course("C-3")})
    (root / "c2" / "course.md").write_text(course_md("C-2", ce_category="nope"),
                                           encoding="utf-8")

    with pytest.raises(services.ImportFailed) as err:
        services.import_courses(root, now + timedelta(days=1))

    [problem] = err.value.problems
    assert problem.path.endswith("c2/course.md") and "unknown ce_category" in problem.message
    assert problem.line == 6  # the ce_category line of the front matter
    assert snapshot() == before
    assert course("C-3") is None
    assert count(Enrolment) == 1


@pytest.mark.parametrize("breakage, message", [
    (lambda root: (root / "c2" / "course.md").write_text(course_md("C-1"), encoding="utf-8"),
     "duplicate course code"),
    (lambda root: (root / "c2" / "course.md").write_text(
        course_md("C-2", prerequisites=["NOPE-1"]), encoding="utf-8"),
     "unknown prerequisite"),
    (lambda root: (root / "c2" / "01-welcome.md").write_text(
        lesson("Welcome", "See [the notes](assets/missing.pdf)."), encoding="utf-8"),
     "missing.pdf"),
    (lambda root: (root / "c2" / "02-basics" / "02-check.md").write_text(
        QUIZ_MD.replace("= 4", "- (x) Four\n- (x) Five"), encoding="utf-8"),
     "right"),
])
def test_lint_problems_block_the_whole_import(app, tmp_path, now, breakage, message):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})
    services.import_courses(root, now)
    before = snapshot()
    (root / "c1" / "03-wrap-up.md").write_text(lesson("Wrap up", "Edited."), encoding="utf-8")
    breakage(root)

    with pytest.raises(services.ImportFailed) as err:
        services.import_courses(root, now)

    assert any(message in p.message for p in err.value.problems), err.value.problems
    assert snapshot() == before


def test_an_error_while_writing_rolls_back_every_course(app, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})
    services.import_courses(root, now)
    before = snapshot()
    for code in ("c1", "c2"):
        (root / code / "01-welcome.md").write_text(lesson("Welcome", "Edited."),
                                                   encoding="utf-8")

    def explode(sender, **_):
        if sender.course.code == "C-2":
            raise RuntimeError("disk on fire")

    item_synced.connect(explode)
    try:
        with pytest.raises(RuntimeError):
            services.import_courses(root, now)
    finally:
        item_synced.disconnect(explode)

    assert snapshot() == before
    # and the next import works
    assert services.import_courses(root, now).updated == ["C-1", "C-2"]


# ---------------------------------------------------------------- browser edits vs files


def test_unchanged_file_keeps_a_newer_browser_edit(app, tmp_path, now, make_user):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    admin = make_user("admin")
    first = item("C-1", "basics/first")
    services.save_item_source(first, lesson("First steps", "Edited online."), admin, now)

    report = services.import_courses(root, now)

    assert report.unchanged == ["C-1"]
    db.session.expire_all()
    first = item("C-1", "basics/first")
    assert "Edited online." in first.body and first.revision == 2


def test_changed_file_wins_over_a_browser_edit_and_says_so(app, tmp_path, now, make_user):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    services.import_courses(root, now)
    admin = make_user("admin")
    services.save_item_source(item("C-1", "basics/first"),
                              lesson("First steps", "Edited online."), admin, now)
    (root / "c1" / "02-basics" / "01-first.md").write_text(
        lesson("First steps", "Edited in the file."), encoding="utf-8")

    report = services.import_courses(root, now)

    assert report.updated == ["C-1"]
    assert any("basics/first" in note for note in report.notes)
    db.session.expire_all()
    first = item("C-1", "basics/first")
    assert "Edited in the file." in first.body and first.revision == 3
    history = [r.origin for r in services.item_history(first)]
    assert history == ["import", "edit", "import"]


# ---------------------------------------------------------------- the real curriculum


def test_the_real_curriculum_imports_and_every_item_page_renders(
        app, client, make_user, sign_in, now):
    from lms.quizzes.models import Question, Quiz

    app.config["FROZEN_NOW"] = now
    report = services.import_courses(REPO / "courses", now)

    assert sorted(report.created) == ["JC-101", "JC-110", "JC-201", "JC-210", "JC-AP"]
    assert count(Course) == 5
    ap = course("JC-AP")
    quiz_sizes = [
        db.session.scalar(select(func.count()).select_from(Question)
                          .where(Question.quiz_id == q.id, Question.active.is_(True)))
        for q in db.session.scalars(select(Quiz).join(Item, Item.id == Quiz.item_id)
                                    .where(Item.course_id == ap.id))]
    assert max(quiz_sizes) >= 60

    learner = make_user()
    sign_in(client, learner)
    for c in db.session.scalars(select(Course)):
        enrolment = Enrolment(user_id=learner.id, course_id=c.id, enrolled_at=now,
                              last_activity_at=now)
        db.session.add(enrolment)
    db.session.commit()
    items = list(db.session.scalars(select(Item).join(Course).where(Item.audience == "learners")
                                    .order_by(Course.code, Item.position)))
    assert len(items) > 20
    for it in items:
        response = client.get(f"/courses/{it.course.code}/items/{it.slug}")
        assert response.status_code == 200, (it.course.code, it.slug)
        page = response.get_data(as_text=True)
        assert it.title.replace("&", "&amp;").replace('"', "&#34;") in page or \
            it.title in page, (it.course.code, it.slug)
        if it.kind == "lesson":
            assert "Mark as complete" in page
            assert "<script" not in page.split('<div class="prose">', 1)[1].split("</article>")[0]

    # re-importing the same tree changes nothing
    assert sorted(services.import_courses(REPO / "courses", now).unchanged) == [
        "JC-101", "JC-110", "JC-201", "JC-210", "JC-AP"]

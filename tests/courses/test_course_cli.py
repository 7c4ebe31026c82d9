"""`flask --app wsgi courses check|import|export`, through the app's CLI runner."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.courses.models import Course, CourseRevision, Item, ItemRevision
from lms.extensions import db
from tests.builders import BARE_QUIZ_MD, basic_course, count, lesson, write_tree

PROBLEM_LINE = re.compile(r"^(?P<path>[^:\s]+\.(?:md|yml)):(?P<line>\d+): (?P<message>.+)$")


def codes() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Course.code)))


def cli(runner, *args: str):
    return runner.invoke(args=["courses", *args])


# ---------------------------------------------------------------- check


def test_check_of_a_good_tree_exits_0(app, runner, tmp_path):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2", prerequisites=["C-1"])})

    result = cli(runner, "check", str(root))

    assert result.exit_code == 0, result.output
    assert "No problems found." in result.stdout
    assert count(Course) == 0  # check never imports


def test_check_prints_every_problem_as_path_line_message_and_exits_1(
        app, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad_quiz = BARE_QUIZ_MD + "\n## Pick one\n- (x) A\n- (x) B\n\n## No answers here\n"
    files = basic_course("C-2", prerequisites=["NOPE-9"], ce_category="unknown-cat")
    files["02-basics/02-check.md"] = bad_quiz
    files["01-welcome.md"] = lesson("Welcome", "See ![gone](assets/gone.png).")
    write_tree(tmp_path / "courses", {"c1": basic_course("C-1"), "c2": files})

    result = cli(runner, "check", "courses")

    assert result.exit_code == 1
    # (the builders' courses claim more CE hours than their few minutes: those are warnings)
    lines = [line for line in result.stdout.splitlines()
             if line.strip() and ": warning: " not in line]
    assert lines, result.output
    parsed = [PROBLEM_LINE.match(line) for line in lines]
    assert all(parsed), lines
    found = {(m["path"], int(m["line"])): m["message"] for m in parsed}
    course_file = "courses/c2/course.md"
    quiz_file = "courses/c2/02-basics/02-check.md"
    # front matter: --- / code / title / summary / ce_hours / ce_category / level / prerequisites
    assert "unknown ce_category" in found[(course_file, 6)]
    assert "unknown prerequisite 'NOPE-9'" in found[(course_file, 9)]
    # the quiz: 7 lines of the valid question, then the two broken ones
    assert "exactly one right option" in found[(quiz_file, 9)]
    assert "no answer block" in found[(quiz_file, 13)]
    # the lesson: --- / title / --- / blank / the broken image
    assert "gone.png" in found[("courses/c2/01-welcome.md", 5)]
    assert len(found) == 5
    assert not any(p.startswith("courses/c1/") for p, _ in found)
    assert "problem(s)" in result.stderr


def test_check_of_one_course_folder(app, runner, tmp_path):
    files = basic_course("C-2")
    files["02-basics/02-check.md"] = "---\ntype: quiz\n---\n\n## No answer\n"
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"), "c2": files})

    assert cli(runner, "check", str(root / "c1")).exit_code == 0
    assert cli(runner, "check", str(root / "c2")).exit_code == 1


def test_check_rejects_a_folder_that_is_not_a_course_tree(app, runner, tmp_path):
    result = cli(runner, "check", str(tmp_path))

    assert result.exit_code != 0
    assert "neither a courses folder" in result.output


# ---------------------------------------------------------------- import


def test_import_then_reimport_is_idempotent(app, runner, tmp_path):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})

    first = cli(runner, "import", str(root))
    assert first.exit_code == 0, first.output
    assert "created   C-1" in first.stdout and "created   C-2" in first.stdout
    revisions = (count(CourseRevision), count(ItemRevision))

    second = cli(runner, "import", str(root))
    assert second.exit_code == 0, second.output
    assert "unchanged C-1" in second.stdout and "unchanged C-2" in second.stdout
    assert (count(CourseRevision), count(ItemRevision)) == revisions

    (root / "c2" / "01-welcome.md").write_text(lesson("Welcome", "New text."), encoding="utf-8")
    third = cli(runner, "import", str(root))
    assert third.exit_code == 0, third.output
    assert "unchanged C-1" in third.stdout and "updated   C-2" in third.stdout


def test_import_of_one_course_folder_imports_only_that_course(app, runner, tmp_path):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2")})

    result = cli(runner, "import", str(root / "c2"))

    assert result.exit_code == 0, result.output
    assert codes() == ["C-2"]


def test_import_of_one_course_folder_accepts_a_sibling_prerequisite(app, runner, tmp_path):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1"),
                                             "c2": basic_course("C-2", prerequisites=["C-1"])})

    result = cli(runner, "import", str(root / "c2"))

    assert result.exit_code == 0, result.output
    assert codes() == ["C-2"]


def test_import_without_a_path_uses_courses_dir(app, runner, tmp_path):
    root = write_tree(tmp_path / "elsewhere", {"c1": basic_course("C-1")})
    app.config["COURSES_DIR"] = str(root)

    result = cli(runner, "import")

    assert result.exit_code == 0, result.output
    assert codes() == ["C-1"]


def test_failed_import_prints_the_problems_exits_1_and_imports_nothing(
        app, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    assert cli(runner, "import", "courses").exit_code == 0
    before = (count(Item), count(ItemRevision), count(CourseRevision))
    (root / "c1" / "01-welcome.md").write_text(lesson("Welcome", "Edited."), encoding="utf-8")
    write_tree(root, {"c2": basic_course("C-2", title="")})

    result = cli(runner, "import", "courses")

    assert result.exit_code == 1
    assert re.search(r"^courses/c2/course\.md:3: .*title", result.stdout, re.M), result.output
    assert "nothing was imported" in result.stderr
    assert codes() == ["C-1"]
    assert (count(Item), count(ItemRevision), count(CourseRevision)) == before
    welcome = db.session.scalar(select(Item).where(Item.slug == "welcome"))
    assert "Edited." not in welcome.body


# ---------------------------------------------------------------- export


def test_export_then_import_round_trip_changes_nothing(app, runner, tmp_path):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1")})
    assert cli(runner, "import", str(root)).exit_code == 0
    before = (count(CourseRevision), count(ItemRevision))
    dest = tmp_path / "out"

    exported = cli(runner, "export", "C-1", str(dest))
    assert exported.exit_code == 0, exported.output
    folder = dest / "c1"
    for rel in ("course.md", "01-welcome.md", "02-basics/module.md", "02-basics/01-first.md",
                "02-basics/02-check.md", "assets/map.png"):
        assert (folder / rel).read_bytes() == (root / "c1" / rel).read_bytes(), rel

    result = cli(runner, "import", str(folder))
    assert result.exit_code == 0, result.output
    assert "unchanged C-1" in result.stdout
    assert (count(CourseRevision), count(ItemRevision)) == before


def test_export_of_an_unknown_code_fails(app, runner, tmp_path):
    result = cli(runner, "export", "NOPE", str(tmp_path / "out"))

    assert result.exit_code != 0
    assert "No course with code NOPE" in result.output

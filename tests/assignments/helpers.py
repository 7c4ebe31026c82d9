"""A small course whose completion needs a case-study assignment, and helpers to work it."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from lms.assignments import services
from lms.assignments.models import Assignment
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from tests.builders import course_md, item, lesson, write_tree

RUBRIC = """\
## Rubric

| Criterion | Exemplary (4) | Proficient (3) | Developing (2) | Beginning (1) |
|---|---|---|---|---|
| Centres community voice | Residents lead | Residents consulted | Token | Absent |
| Uses evidence | Rich | Enough | Thin | None |
"""


def assignment_md(**settings) -> str:
    front = {"type": "assignment", "title": "Case study: a memo", "peer_reviews": 2,
             "attachments": ["pdf", "docx", "png"], "max_upload_mb": 1, "passing_score": 70,
             "due_days": 14, **settings}
    return ("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n"
            "Write a memo for the partnership council.\n\n" + RUBRIC)


def case_course(code: str = "CS-1", **settings) -> dict[str, str | bytes]:
    return {"course.md": course_md(code, instructors=["teach@example.org"]),
            "01-intro.md": lesson("Introduction"),
            "02-case.md": assignment_md(**settings)}


def install_case(tmp_path: Path, now, code: str = "CS-1", **settings) -> Assignment:
    root = write_tree(tmp_path / "courses", {code.lower(): case_course(code, **settings)})
    courses.import_courses(root, now)
    return services.assignment_for_item(item(code, "case"))


def enrol_all(assignment: Assignment, users, now) -> None:
    course = assignment.item.course
    for user in users:
        courses.enrol(user, course, now)


def cohort_of(name: str, users, now):
    cohort = cohorts.create_cohort(name, "", actor=None, now=now)
    cohorts.add_members(cohort, "\n".join(u.email for u in users), now=now)
    return cohort


def submit_text(assignment, user, text: str, now):
    services.save_draft(assignment, user, text, now)
    submission = services.submission_of(assignment, user)
    return services.submit(assignment, user, submission.version_count, now)


PDF = b"%PDF-1.4\n% a memo\n" + b"0" * 100
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    return docx_bytes({"word/bomb.xml": b"\x00" * (8 * 2**20)})

"""The grading queue at scale and reviewer assignment for a big cohort.

    .venv/bin/python -m bench.assignments [--submissions 10000 --cohort 500 --runs 30]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB python -m bench.assignments

Builds a throwaway database (SQLite unless BENCH_DATABASE_URL), one course with one
assignment, bulk-inserts `--submissions` learners with a submitted version each (a quarter late,
a third graded), then times the instructor's queue pages (first page, a filtered page, the
last page, a grade page) through the Flask test client and counts their SQL statements, and
times reviewer assignment for a cohort of `--cohort`: the pure rule over every arrival, and the
service placing one more submission among them. Prints median and p95 against the targets
(queue p95 <= 50 ms per page on PostgreSQL; reviewer assignment < 1 s); exits 1 on a miss.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import bench_app

QUEUE_TARGET_MS = 50
ASSIGN_TARGET_MS = 1000

PROGRAM_YML = """\
credential: {name: Bench Credential, abbreviation: BC, id_prefix: BC}
categories:
  practice: {name: Practice}
maintenance:
  cycle: {length_months: 24, anchor: earned}
  hours_per_cycle: 30
"""

RUBRIC_MD = """\
---
type: assignment
title: Bench case study
peer_reviews: 2
passing_score: 70
due_days: 14
---

Write a memo.

## Rubric

| Criterion | Exemplary (4) | Proficient (3) | Developing (2) | Beginning (1) |
|---|---|---|---|---|
| Voice | a | b | c | d |
| Evidence | a | b | c | d |
| Feasibility | a | b | c | d |
"""


def write_tree(root: Path) -> None:
    folder = root / "bench-assign"
    folder.mkdir(parents=True)
    (root / "program.yml").write_text(PROGRAM_YML)
    (folder / "course.md").write_text(
        "---\ncode: BENCH-A\ntitle: Bench assignments\nsummary: Generated.\nce_hours: 1\n"
        "ce_category: practice\nlevel: introductory\ninstructors: [grader@example.org]\n---\n"
        "Overview.\n")
    (folder / "01-case.md").write_text(RUBRIC_MD)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[int(q * (len(ordered) - 1))]


def bulk_insert(n: int, assignment_id: int, course_id: int, marker_id: int, now: datetime,
                hashed: str) -> None:
    """n learners, enrolments, submissions and first versions, with grades for a third."""
    from sqlalchemy import insert, select

    from lms.assignments.models import Grade, Submission, SubmissionVersion
    from lms.auth.models import User
    from lms.courses.models import Enrolment
    from lms.extensions import db

    rng = random.Random(10_000)
    batch = 2000
    for start in range(0, n, batch):
        rows = range(start, min(n, start + batch))
        db.session.execute(insert(User), [
            {"email": f"sub{i}@example.org", "name": f"Learner {i:05d}", "password_hash": hashed,
             "role": "learner", "created_at": now, "email_confirmed_at": now} for i in rows])
        ids = dict(db.session.execute(select(User.email, User.id).where(
            User.email.in_([f"sub{i}@example.org" for i in rows]))).all())
        db.session.execute(insert(Enrolment), [
            {"user_id": ids[f"sub{i}@example.org"], "course_id": course_id,
             "enrolled_at": now - timedelta(days=30), "last_activity_at": now} for i in rows])
        statuses = ["submitted", "in_review", "resubmitted", "graded"]
        db.session.execute(insert(Submission), [
            {"assignment_id": assignment_id, "user_id": ids[f"sub{i}@example.org"],
             "status": statuses[i % 4], "draft_body": "memo", "version_count": 1,
             "submitted_at": now - timedelta(minutes=n - i),
             "late_seconds": 3600 * (i % 7) if i % 4 == 0 else 0,
             "similarity": rng.random() * 0.6, "created_at": now} for i in rows])
        subs = dict(db.session.execute(select(Submission.user_id, Submission.id).where(
            Submission.user_id.in_(ids.values()))).all())
        db.session.execute(insert(SubmissionVersion), [
            {"submission_id": subs[ids[f"sub{i}@example.org"]], "number": 1,
             "body": f"Memo {i} about the neighbourhood.", "submitted_at": now,
             "late_seconds": 0, "shingles": []} for i in rows])
        versions = dict(db.session.execute(select(SubmissionVersion.submission_id,
                                                  SubmissionVersion.id).where(
            SubmissionVersion.submission_id.in_(subs.values()))).all())
        db.session.execute(insert(Grade), [
            {"submission_id": subs[ids[f"sub{i}@example.org"]],
             "version_id": versions[subs[ids[f"sub{i}@example.org"]]], "marker_id": marker_id,
             "levels": [0, 1, 2], "criterion_comments": ["", "", ""], "overall_comment": "",
             "total": 9, "percent": 75, "decision": "pass", "held": True, "second": False,
             "created_at": now} for i in rows if i % 4 == 3])
        db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--cohort", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    app, tmp = bench_app("lms-bench-assign-")
    from sqlalchemy import event, select

    from lms.assignments import rules
    from lms.assignments import services as assignments
    from lms.auth import services as accounts
    from lms.courses import services as courses
    from lms.courses.models import Course, Item
    from lms.extensions import db, engines

    now = datetime.now(UTC)
    with app.app_context():
        write_tree(tmp / "courses")
        courses.import_courses(tmp / "courses", now)
        grader = accounts.create_user("grader@example.org", "Grace Grader", "instructor",
                                      "bench-password-1", now)
        item = db.session.scalar(select(Item).join(Course).where(Course.code == "BENCH-A"))
        assignment = assignments.assignment_for_item(item)
        print(f"inserting {args.submissions} submissions ...", flush=True)
        bulk_insert(args.submissions, assignment.id, item.course_id, grader.id, now,
                    accounts.hash_password("bench-password-1"))
        assignment_id = assignment.id
        some_submission = db.session.scalar(select(assignments.Submission.id).limit(1)
                                            .offset(args.submissions // 2))

    client = app.test_client()
    client.post("/account/signin", data={"email": "grader@example.org",
                                         "password": "bench-password-1"})
    pages = {
        "queue, first page": "/assignments/grading",
        "queue, filtered (late)": f"/assignments/grading?assignment_id={assignment_id}&late=1",
        "queue, needs my grade": "/assignments/grading?mine=1&sort=newest",
        "queue, last page": "/assignments/grading?page=100000",
        "grade page": f"/assignments/grading/{some_submission}",
    }
    failed = False
    print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}{'queries':>9}{'target':>8}")
    with app.app_context():
        watched_engines = engines()
    for name, url in pages.items():
        client.get(url)
        queries = [0]

        def count(*_args, _q=queries):
            _q[0] += 1

        for watched in watched_engines:
            event.listen(watched, "before_cursor_execute", count)
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        for watched in watched_engines:
            event.remove(watched, "before_cursor_execute", count)
        p95 = percentile(samples, 0.95)
        ok = p95 <= QUEUE_TARGET_MS
        failed |= not ok
        print(f"{name:<28}{statistics.median(samples):>10.1f}{p95:>10.1f}"
              f"{queries[0] // args.runs:>9}{QUEUE_TARGET_MS:>8}  {'ok' if ok else 'MISSED'}")

    rng = random.Random(500)
    start = time.perf_counter()
    plan = rules.assign_online(list(range(args.cohort)), dict.fromkeys(range(args.cohort), "c"),
                               2, rng)
    pure_ms = (time.perf_counter() - start) * 1000
    assert all(len(plan.reviews[p]) >= 2 for p in range(2, args.cohort))
    print(f"{'reviewers, cohort (rule)':<28}{pure_ms:>10.1f}{'':>10}{'':>9}"
          f"{ASSIGN_TARGET_MS:>8}  {'ok' if pure_ms <= ASSIGN_TARGET_MS else 'MISSED'}")
    failed |= pure_ms > ASSIGN_TARGET_MS
    with app.app_context():
        from lms.cohorts import services as cohorts

        cohort = cohorts.create_cohort("Bench cohort", "", actor=None, now=now)
        cohorts.add_members(cohort, "\n".join(f"sub{i}@example.org"
                                               for i in range(args.cohort)), now=now)
        newcomer = accounts.create_user("newcomer@example.org", "New Comer", "learner",
                                        "bench-password-1", now)
        cohorts.add_members(cohort, "newcomer@example.org", now=now)
        assignment = assignments.get_assignment(assignment_id)
        courses.enrol(newcomer, assignment.item.course, now)
        assignments.save_draft(assignment, newcomer, "My memo about the river.", now)
        start = time.perf_counter()
        assignments.submit(assignment, newcomer, 0, now)
        service_ms = (time.perf_counter() - start) * 1000
    ok = service_ms <= ASSIGN_TARGET_MS
    failed |= not ok
    print(f"{'submit + reviewers (service)':<28}{service_ms:>10.1f}{'':>10}{'':>9}"
          f"{ASSIGN_TARGET_MS:>8}  {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

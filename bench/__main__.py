"""Speed targets for the pages people use most, on generated data at programme scale.

    make bench            # or: .venv/bin/python -m bench [--courses 40 --learners 2000]

Builds a throwaway SQLite database (or BENCH_DATABASE_URL), generates courses, learners,
enrolments and quiz attempts, then times the catalogue, a lesson page, the dashboard, a quiz
attempt page and the instructor's item analysis through the Flask test client, and prints the
median and 95th percentile against each target. Exits 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import bench_app

TARGETS_MS = {"catalogue": 150, "course page": 150, "lesson": 150, "dashboard": 150,
              "quiz results + item analysis": 1500}


def make_tree(root: Path, n_courses: int, lessons: int) -> None:
    """The real curriculum plus `n_courses` generated courses of `lessons` lessons each."""
    shutil.copytree("courses", root)
    body = "\n\n".join(f"## Section {s}\n\n" + "Plain words about neighbourhoods. " * 60
                       for s in range(6))
    for c in range(n_courses):
        folder = root / f"bench-{c:03d}"
        folder.mkdir()
        (folder / "course.md").write_text(
            f"---\ncode: BENCH-{c:03d}\ntitle: Bench course {c}\nsummary: Generated.\n"
            "ce_hours: 2\nce_category: practice\nlevel: introductory\n---\nOverview.\n")
        for i in range(lessons):
            (folder / f"{i + 1:02d}-lesson-{i}.md").write_text(
                f"---\ntitle: Lesson {i}\n---\n{body}\n")


def timed(client, url: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=40)
    parser.add_argument("--lessons", type=int, default=12)
    parser.add_argument("--learners", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    app, tmp = bench_app("lms-bench-")

    from lms.auth import services as accounts
    from lms.courses import services as courses
    from lms.demo import seed_learning, seed_users
    from lms.extensions import db
    from lms.quizzes import services as quizzes

    now = datetime.now(UTC)
    with app.app_context():
        tree = tmp / "courses"
        make_tree(tree, args.courses, args.lessons)
        courses.import_courses(tree, now)
        seed_users(now)
        seed_learning(now)
        print(f"generating {args.learners} learners ...", flush=True)
        from lms.auth.models import User
        from lms.courses.models import Course, Enrolment

        first = db.session.scalar(db.select(Course).where(Course.code == "BENCH-000"))
        hashed = accounts.hash_password("bench-password-1")
        for n in range(args.learners):
            user = User(email=f"bench{n}@example.org", name=f"Bench {n}", password_hash=hashed,
                        role="learner", created_at=now, email_confirmed_at=now)
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(user_id=user.id, course_id=first.id, enrolled_at=now,
                                     last_activity_at=now - timedelta(minutes=n)))
        db.session.commit()
        quiz = quizzes.exam_quizzes()[0]
        quiz_id = quiz.id

    client = app.test_client()
    client.post("/account/signin", data={"email": "learner@example.org",
                                         "password": "justcommunities"})
    staff = app.test_client()
    staff.post("/account/signin", data={"email": "instructor@example.org",
                                        "password": "justcommunities"})
    pages = {
        "catalogue": (client, "/courses"),
        "course page": (client, "/courses/JC-101"),
        "lesson": (client, "/courses/JC-101/items/pillars/racial-equity"),
        "dashboard": (client, "/dashboard"),
        "quiz results + item analysis": (staff, f"/quiz/{quiz_id}/results"),
    }
    failed = False
    print(f"{'page':<32}{'median ms':>10}{'p95 ms':>10}{'target':>10}")
    for name, (c, url) in pages.items():
        c.get(url)  # warm caches
        samples = sorted(timed(c, url, args.runs))
        median = statistics.median(samples)
        p95 = samples[int(0.95 * (len(samples) - 1))]
        ok = p95 <= TARGETS_MS[name]
        failed |= not ok
        print(f"{name:<32}{median:>10.1f}{p95:>10.1f}{TARGETS_MS[name]:>10}  "
              f"{'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The boards at scale: 20,000 members, 10,000 threads, 100,000 posts.

    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.community
    .venv/bin/python -m bench.community --members 2000 --threads 1000 --posts 10000  # quicker

Generates the rows with bulk inserts (COPY on PostgreSQL), then times, through the Flask test
client as a member of the busiest course: a board's thread list, a thread page (paginated),
search, and the notification bell (the notifications page), printing the median, the 95th
percentile (target <= 50 ms) and the queries per request (which do not grow with the posts).
Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.ce import _copy
from bench.common import bench_app

TARGET_MS = 50
WORDS = ("heat flood resilience equity housing transit bus tree shade garden land trust "
         "co-op residents budget hearing zoning displacement wellbeing mobility belonging "
         "opportunity environment survey data map walk school clinic market").split()


def generate(db, members: int, threads: int, posts: int, now: datetime) -> tuple[int, int]:
    """Bulk rows: members enrolled in one of 20 courses; threads spread over those courses'
    boards and the network's; posts spread over the threads. Returns (a member's id, the
    busiest thread's id)."""
    from lms.auth.services import hash_password

    rng = random.Random(14)
    conn = db.session.connection()
    hashed = hash_password("bench-password-1")
    _copy(conn, "users", ["id", "email", "password_hash", "name", "legal_name", "organisation",
                          "city", "country", "bio", "directory_opt_in", "role", "active",
                          "email_confirmed_at", "created_at"],
          ((i, f"member{i}@example.org", hashed, f"Member {i}", "", "", "", "", "", False,
            "learner", True, now, now - timedelta(days=400)) for i in range(1, members + 1)))
    _copy(conn, "courses", ["id", "code", "title", "summary", "overview", "source", "dirname",
                            "prerequisites", "published", "estimated_minutes", "item_count",
                            "revision", "created_at", "updated_at"],
          ((c, f"B-{c}", f"Bench course {c}", "", "", "", f"b-{c}", "[]", True, 0, 0, 0, now,
            now) for c in range(1, 21)))
    _copy(conn, "enrolments", ["id", "user_id", "course_id", "enrolled_at", "last_activity_at"],
          ((i, i, 1 + i % 20, now, now) for i in range(1, members + 1)))
    boards = [f"course:{c}" for c in range(1, 21)] + [
        "network:racial-equity", "network:climate-resilience", "network:introductions"]
    per_thread = max(1, posts // threads)
    thread_rows, post_rows = [], []
    post_id = 0
    for t in range(1, threads + 1):
        created = now - timedelta(minutes=threads - t)
        replies = per_thread - 1 if t != 1 else per_thread * 5
        thread_rows.append((t, boards[t % len(boards)], "discussion",
                            " ".join(rng.choices(WORDS, k=5)), 1 + t % members, False, created,
                            created + timedelta(seconds=replies), replies, False, False, False,
                            True))
        for r in range(replies + 1):
            post_id += 1
            post_rows.append((post_id, t, 1 + (t + r) % members,
                              " ".join(rng.choices(WORDS, k=40)), False, r == 0, "visible",
                              created + timedelta(seconds=r), 0, False))
    _copy(conn, "community_threads", ["id", "board_key", "kind", "title", "author_id",
                                      "anonymous", "created_at", "last_post_at", "reply_count",
                                      "answered", "pinned", "locked", "listed"], thread_rows)
    _copy(conn, "community_posts", ["id", "thread_id", "author_id", "body", "anonymous",
                                    "is_opening", "status", "created_at", "like_count",
                                    "accepted"], post_rows)
    _copy(conn, "notifications", ["recipient_id", "kind", "text", "url", "board_key",
                                  "dedupe_key", "created_at"],
          ((1 + n % members, "reply", "Someone replied", "/community/threads/1",
            boards[(1 + n % members) % 20], f"bench:{n}", now) for n in range(posts // 2)))
    if conn.dialect.name == "postgresql":
        for table in ("users", "courses", "enrolments", "community_threads", "community_posts"):
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: E501,S608 - constants
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("ANALYZE")
    db.session.commit()
    return 1, 1  # member 1 is enrolled in course 2, whose board holds thread 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    app, _tmp = bench_app("bench-community-", FROZEN_NOW=now)
    from sqlalchemy import event

    from lms.extensions import db

    with app.app_context():
        start = time.perf_counter()
        member, thread = generate(db, args.members, args.threads, args.posts, now)
        print(f"generated in {time.perf_counter() - start:.1f} s", flush=True)
        client = app.test_client()
        client.post("/account/signin", data={"email": f"member{member}@example.org",
                                             "password": "bench-password-1"})
        course = 1 + member % 20
        pages = {"thread list": f"/community/course/{course}",
                 "thread page": f"/community/threads/{thread}?page=3",
                 "search": "/community/search?q=flood+housing",
                 "bell (notifications)": "/notifications"}
        missed = False
        for name, url in pages.items():
            assert client.get(url).status_code == 200, url
            counter = {"n": 0}

            def count(*_args, _counter=counter) -> None:
                _counter["n"] += 1

            event.listen(db.engine, "before_cursor_execute", count)
            samples = []
            try:
                for _ in range(args.runs):
                    begin = time.perf_counter()
                    assert client.get(url).status_code == 200
                    samples.append((time.perf_counter() - begin) * 1000)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            p95 = statistics.quantiles(samples, n=20)[18]
            ok = p95 <= TARGET_MS
            missed = missed or not ok
            print(f"{name:<22} median {statistics.median(samples):7.1f} ms  p95 {p95:7.1f} ms  "
                  f"{counter['n'] // args.runs} queries  {'ok' if ok else 'MISSED'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The boards at scale: 20,000 members, 10,000 threads, 100,000 posts.

    make bench-community                 # PostgreSQL database bench_community (BENCH_DATABASE_URL)
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.community
    .venv/bin/python -m bench.community --members 2000 --threads 1000 --posts 10000  # SQLite
    ... --regenerate                     # drop the database's tables and generate again

Generates the rows with bulk inserts (COPY on PostgreSQL, executemany on SQLite; never the ORM
row by row) unless the database already holds them, then times, through the Flask test client
as a member of a course and a cohort: a board's thread list, a thread page (paginated),
search, and the notification bell (the notifications page), printing the median, the 95th
percentile (target <= 50 ms) and the queries per request (which do not grow with the posts).
Exits 1 when a target is missed. `bench/digest.py` times the digest on the same data.

The posts' words are drawn from a vocabulary of a few thousand words with a Zipf-like
frequency (a few words are in most posts, most words in few), as in real text; the search
asks for two topical words and, separately, for a word in most posts (the worst case).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import bench_app
from bench.http_pages import copy_rows, create_database

TARGET_MS = 50
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
PASSWORD = "bench-password-1"  # noqa: S105 - the generated members' password
COURSES = 20
COHORT_SIZE = 40
TOPICS = ("heat flood resilience equity housing transit bus tree shade garden land trust "
          "co-op residents budget hearing zoning displacement wellbeing mobility belonging "
          "opportunity environment survey data map walk school clinic market").split()
COMMON = ("the and of to a in is that for it with as on be at by this we our are").split()
BOARDS_NETWORK = ("network:racial-equity", "network:climate-resilience", "network:introductions")
#: The bench member: enrolled in course 2, a member of cohort 1, with reads, likes, follows and
#: unread notifications.
MEMBER = 1
BUSY_THREAD = 1


def _vocabulary(rng: random.Random, size: int = 4000) -> tuple[list[str], list[float]]:
    """Common words, topical words, then made-up words; weights fall as 1/rank."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    made = {"".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(size)}
    words = list(COMMON) + list(TOPICS) + sorted(made - set(COMMON) - set(TOPICS))
    # Topical words sit in the middle of the curve (each in a few percent of posts).
    weights = [1 / (rank + 1) for rank in range(len(words))]
    return words, weights


def data_present(conn, posts: int) -> bool:
    have = conn.exec_driver_sql("SELECT COUNT(*) FROM community_posts").scalar() or 0
    return have >= posts


def drop_everything(url: str) -> None:
    """A clean PostgreSQL schema (--regenerate): the migrations run again on it."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def generate(db, members: int, threads: int, posts: int, now: datetime = NOW) -> None:
    """Bulk rows: members enrolled in one of COURSES courses (a tenth in a cohort of that
    course); threads spread over the course, cohort and network boards; posts spread over the
    threads (one thread much longer); likes, read marks, follows and unread notifications."""
    from lms.auth.services import hash_password

    rng = random.Random(14)
    words, weights = _vocabulary(rng)
    conn = db.session.connection()
    hashed = hash_password(PASSWORD)
    copy_rows(conn, "users", ["id", "email", "password_hash", "name", "legal_name",
                              "organisation", "city", "country", "bio", "directory_opt_in",
                              "role", "active", "email_confirmed_at", "created_at"],
              ((i, f"member{i}@example.org", hashed, f"Member {i}", "", "", "", "", "", False,
                "learner", True, now, now - timedelta(days=400)) for i in range(1, members + 1)))
    copy_rows(conn, "courses", ["id", "code", "title", "summary", "overview", "source",
                                "dirname", "prerequisites", "published", "estimated_minutes",
                                "item_count", "revision", "created_at", "updated_at"],
              ((c, f"B-{c}", f"Bench course {c}", "", "", "", f"b-{c}", "[]", True, 0, 0, 0, now,
                now) for c in range(1, COURSES + 1)))
    copy_rows(conn, "enrolments", ["id", "user_id", "course_id", "enrolled_at",
                                   "last_activity_at"],
              ((i, i, 1 + i % COURSES, now, now) for i in range(1, members + 1)))
    # Cohorts of COHORT_SIZE members of one course each, for a tenth of the members.
    in_cohorts = list(range(1, members // 10 + 1))
    cohort_count = max(1, len(in_cohorts) // COHORT_SIZE)
    copy_rows(conn, "cohorts", ["id", "slug", "name", "description", "created_at", "course_id",
                                "region"],
              ((c, f"bench-{c}", f"Bench cohort {c}", "", now, 1 + (c * COHORT_SIZE) % COURSES,
                "") for c in range(1, cohort_count + 1)))
    copy_rows(conn, "cohort_members", ["cohort_id", "user_id", "added_at", "role"],
              ((1 + (i - 1) % cohort_count, i, now,
                "facilitator" if i == cohort_count + 1 else "member") for i in in_cohorts))
    boards = ([f"course:{c}" for c in range(1, COURSES + 1)]
              + [f"cohort:{c}" for c in range(1, cohort_count + 1)]
              + list(BOARDS_NETWORK))
    rest = max(0, posts - threads)
    busy_replies = min(rest, max(60, rest // 200))
    per_thread = (rest - busy_replies) / max(1, threads - 1)
    thread_rows, post_rows = [], []
    post_id = 0
    for t in range(1, threads + 1):
        created = now - timedelta(minutes=2 * (threads - t))
        if t == BUSY_THREAD:
            board, replies = f"course:{1 + MEMBER % COURSES}", busy_replies
        else:
            board = boards[t % len(boards)]
            replies = int(per_thread * t) - int(per_thread * (t - 1))
        thread_rows.append((t, board, "question" if t % 3 == 0 else "discussion",
                            " ".join(rng.choices(words, weights, k=6)).capitalize(),
                            1 + (t * 7) % members, False, created,
                            created + timedelta(seconds=replies), replies, False, False, False,
                            True))
        for r in range(replies + 1):
            post_id += 1
            post_rows.append((post_id, t, 1 + (t + r * 13) % members,
                              " ".join(rng.choices(words, weights, k=rng.randint(20, 80))),
                              False, r == 0, "visible", created + timedelta(seconds=r),
                              0, False))
    copy_rows(conn, "community_threads", ["id", "board_key", "kind", "title", "author_id",
                                          "anonymous", "created_at", "last_post_at",
                                          "reply_count", "answered", "pinned", "locked",
                                          "listed"], thread_rows)
    copy_rows(conn, "community_posts", ["id", "thread_id", "author_id", "body", "anonymous",
                                        "is_opening", "status", "created_at", "like_count",
                                        "accepted"], post_rows)
    # Likes: the bench member likes every third post of the busy thread; others at random.
    likes = {(p, MEMBER) for p in range(1, busy_replies + 2, 3)}
    likes |= {(rng.randint(1, post_id), rng.randint(1, members)) for _ in range(posts // 2)}
    copy_rows(conn, "community_likes", ["post_id", "user_id", "created_at"],
              ((p, u, now) for p, u in sorted(likes)))
    conn.exec_driver_sql(
        "UPDATE community_posts SET like_count = l.n FROM (SELECT post_id, COUNT(*) AS n "
        "FROM community_likes GROUP BY post_id) AS l WHERE l.post_id = community_posts.id"
        if conn.dialect.name == "postgresql" else
        "UPDATE community_posts SET like_count = (SELECT COUNT(*) FROM community_likes "
        "WHERE post_id = community_posts.id)")
    # Read marks: every member has read a few threads (half of them before the last reply).
    reads = {(rng.randint(1, members), rng.randint(1, threads)) for _ in range(posts)}
    reads |= {(MEMBER, t) for t in range(1, threads + 1, 4)}
    copy_rows(conn, "community_reads", ["user_id", "thread_id", "read_at"],
              ((u, t, now - timedelta(minutes=2 * (threads - t)) + timedelta(
                  seconds=0 if (u + t) % 2 else 3600)) for u, t in sorted(reads)))
    follows = sorted({(rng.randint(1, members), rng.randint(1, threads))
                      for _ in range(posts // 4)} | {(MEMBER, BUSY_THREAD)})
    copy_rows(conn, "community_follows", ["id", "user_id", "thread_id", "created_at"],
              ((n, u, t, now) for n, (u, t) in enumerate(follows, 1)))
    # Five unread notifications for every member, on boards they see (and a few they do not).
    copy_rows(conn, "notifications", ["recipient_id", "kind", "text", "url", "board_key",
                                      "dedupe_key", "created_at"],
              ((u, ("reply", "mention", "endorsed")[n % 3], f"Someone replied ({n})",
                f"/community/threads/{1 + (u * 5 + n) % threads}",
                (f"course:{1 + u % COURSES}", BOARDS_NETWORK[n % 3],
                 f"cohort:{1 + (u - 1) % cohort_count}")[n % 3], f"bench:{n}",
                now - timedelta(minutes=n)) for u in range(1, members + 1) for n in range(5)))
    if conn.dialect.name == "postgresql":
        for table in ("users", "courses", "enrolments", "cohorts", "community_threads",
                      "community_posts", "community_follows", "notifications"):
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: E501,S608 - constants
            conn.exec_driver_sql(sql)
    db.session.commit()
    if conn.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql("VACUUM ANALYZE")


def prepare(prefix: str, members: int, threads: int, posts: int, regenerate: bool):
    """(app, instance folder) with the data in place (generated now or reused)."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url:
        create_database(url)
    if regenerate and url.startswith("postgresql"):
        drop_everything(url)
    app, tmp = bench_app(prefix, FROZEN_NOW=NOW)
    from lms.extensions import db

    with app.app_context():
        if data_present(db.session.connection(), posts):
            print("reusing the generated data (--regenerate to make it again)", flush=True)
            db.session.rollback()
        else:
            start = time.perf_counter()
            generate(db, members, threads, posts)
            print(f"generated {members:,} members, {threads:,} threads, {posts:,} posts in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
    return app, tmp


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--runs", type=int, default=60, help="requests per page timed")
    return parser


def main() -> int:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    app, _tmp = prepare("bench-community-", args.members, args.threads, args.posts,
                        args.regenerate)
    from sqlalchemy import event

    from lms.extensions import engines

    with app.app_context():
        watched_engines = engines()
    # No app context around the requests: each pushes its own (its own `g` and database
    # session), as under a real server.
    client = app.test_client()
    client.post("/account/signin", data={"email": f"member{MEMBER}@example.org",
                                         "password": PASSWORD})
    pages = {"thread list": f"/community/course/{1 + MEMBER % COURSES}",
             "thread page": f"/community/threads/{BUSY_THREAD}?page=3",
             "search": "/community/search?q=flood+housing",
             "search (common word)": "/community/search?q=residents",
             "bell (notifications)": "/notifications"}
    print(f"load average before: {load_average()}", flush=True)
    missed = False
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        counter = {"n": 0}

        def count(*_args, _counter=counter) -> None:
            _counter["n"] += 1

        for watched in watched_engines:
            event.listen(watched, "before_cursor_execute", count)
        samples = []
        try:
            for _ in range(args.runs):
                begin = time.perf_counter()
                assert client.get(url).status_code == 200
                samples.append((time.perf_counter() - begin) * 1000)
        finally:
            for watched in watched_engines:
                event.remove(watched, "before_cursor_execute", count)
        p95 = statistics.quantiles(samples, n=20)[18]
        ok = p95 <= TARGET_MS
        missed = missed or not ok
        print(f"{name:<22} median {statistics.median(samples):7.1f} ms  p95 {p95:7.1f} ms  "
              f"{counter['n'] / args.runs:.0f} queries  {'ok' if ok else 'MISSED'}", flush=True)
    print(f"load average after: {load_average()}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Pages under real load, as ratios of a bare Flask route measured in the same run.

    make bench-http             # or: BENCH_DATABASE_URL=postgresql+psycopg://... \\
                                #     .venv/bin/python -m bench.http_pages [--seconds 5]

1. Generates the programme at full scale in BENCH_DATABASE_URL (PostgreSQL; COPY, never the
   ORM row by row): 100,000 users, 200 courses, 200,000 enrolments with their progress,
   1,000,000 CE ledger rows for 50,000 holders, 10,000 submissions on one assignment, and
   whatever later generators add (GENERATORS: credentials, posts ...; a generator whose table
   does not exist is skipped). A database already at that scale is reused (--regenerate
   starts again).
2. Starts the app (bench.app:app: wsgi's app plus two floor pages, the signed-in answer and
   the bare layout) and a bare Flask route (bench.bare:app) under the same gunicorn
   settings (2 sync workers), with Redis as the shared cache as in production (--redis; the
   in-process cache when it does not answer), signs the demo learner in once and passes the
   session cookie. The verification API is compared with the bare JSON route (issue 13).
3. Drives the bare route and each page alternately with wrk (8 connections; a threaded
   Python load generator when wrk is not installed) and prints per page requests/s, the ratio
   to bare Flask, p50/p95/p99 and the SQL queries per request (X-Query-Count, a header only
   BENCH_QUERY_HEADER=1 turns on); then sends 10,000 mixed requests and reads the workers'
   RSS. Writes bench/results.json. Exits 1 when a goal is missed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_http"
#: The shared cache of production (Redis); its own database, a prefix of its own per run.
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
#: Pages measured against the bare JSON route (issue 13: "a bare Flask JSON route").
JSON_PAGES = {"verify API"}
BARE_JSON = "/json"
#: The app as served here: wsgi's app plus the floor pages (bench/app.py).
APP = "bench.app:app"
PASSWORD = "bench-password-1"  # noqa: S105 - generated accounts, benchmark only
LEARNER = "learner@example.org"
LEARNER_PASSWORD = "justcommunities"  # noqa: S105 - the demo password
CATEGORIES = ("racial-equity", "climate-resilience", "collective-impact", "practice", "ethics")
TYPES = ("convening", "allied-course", "professional-credit", "volunteering", "mentoring")

SCALE = {"users": 100_000, "courses": 200, "enrolments_per_user": 2, "holders": 50_000,
         "ledger_rows": 1_000_000, "submissions": 10_000, "credentials": 50_000,
         "posts": 100_000}

# Goals as a share of bare Flask's requests/s (issue 16).
GOAL_RATIO = {"lesson": 1 / 3, "catalogue": 1 / 4, "course page": 1 / 4, "dashboard": 1 / 4,
              "quiz attempt": 1 / 4, "CE page": 1 / 4, "credential page": 1 / 4,
              "thread page": 1 / 4, "verify page": 1 / 2, "verify API": 1 / 2}
GOAL_P95_MS = 50
#: Paths driven as an anonymous visitor (employers and the public verify without an account).
PUBLIC = ("/verify/", "/api/")
GOAL_LESSON_QUERIES = 5
GOAL_RSS_MB = 200


# ------------------------------------------------------------------------------ generation


@dataclass
class Ctx:
    """What generators share: the connection, the clock, the ids made so far."""

    db: object
    conn: object
    now: datetime
    today: date
    rng: random.Random
    user_ids: list[int]
    learner_id: int


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    """COPY rows into table (PostgreSQL) or executemany (SQLite)."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        raw.cursor().executemany(sql, rows)


def _next_id(conn, table: str) -> int:
    return (conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar()  # noqa: S608
            or 0) + 1


def gen_users(ctx: Ctx) -> str:
    from lms.auth.services import hash_password

    hashed = hash_password(PASSWORD)
    base = _next_id(ctx.conn, "users")
    have = ctx.conn.exec_driver_sql("SELECT COUNT(*) FROM users").scalar() or 0
    n = max(0, SCALE["users"] - have)
    ids = list(range(base, base + n))
    copy_rows(ctx.conn, "users",
              ["id", "email", "password_hash", "name", "legal_name", "organisation", "city",
               "country", "bio", "directory_opt_in", "role", "active", "email_confirmed_at",
               "created_at"],
              ((i, f"user{i}@bench.example.org", hashed, f"Bench user {i}", "", "", "", "",
                "", False, "learner", True, ctx.now, ctx.now) for i in ids))
    ctx.user_ids = ids
    return f"{n} users"


def gen_enrolments(ctx: Ctx) -> str:
    """Each generated user in two courses, part-way through: progress on the first items."""
    items: dict[int, list[int]] = {}
    for course_id, item_id in ctx.conn.exec_driver_sql(
            "SELECT course_id, id FROM items WHERE active AND audience = 'learners' "
            "ORDER BY course_id, position"):
        items.setdefault(course_id, []).append(item_id)
    course_ids = sorted(items)
    base = _next_id(ctx.conn, "enrolments")
    rng = ctx.rng
    enrolments: list[tuple] = []
    progress: list[tuple] = []
    eid = base
    for uid in ctx.user_ids:
        for course_id in rng.sample(course_ids, SCALE["enrolments_per_user"]):
            done = items[course_id][:rng.randrange(0, len(items[course_id]) + 1)]
            when = ctx.now - timedelta(minutes=rng.randrange(0, 500_000))
            enrolments.append((eid, uid, course_id, when, when,
                               done[-1] if done else None))
            progress.extend((eid, item_id, when) for item_id in done)
            eid += 1
    copy_rows(ctx.conn, "enrolments", ["id", "user_id", "course_id", "enrolled_at",
                                       "last_activity_at", "last_item_id"], enrolments)
    copy_rows(ctx.conn, "item_progress", ["enrolment_id", "item_id", "completed_at"], progress)
    return f"{len(enrolments)} enrolments, {len(progress)} progress rows"


def gen_ce(ctx: Ctx) -> str:
    """50,000 holders (the demo learner among them) with 20 ledger rows each."""
    holders = [ctx.learner_id, *ctx.user_ids[:SCALE["holders"] - 1]]
    rng = ctx.rng
    earned = {i: ctx.today - timedelta(days=rng.randrange(30, 1100)) for i in holders}
    copy_rows(ctx.conn, "ce_holders", ["user_id", "earned_on", "credential_ref", "state",
                                       "state_cycle", "created_at"],
              ((i, earned[i], f"JCAP-BENCH-{i}", "active", 0, ctx.now) for i in holders))
    per = SCALE["ledger_rows"] // len(holders)
    base = _next_id(ctx.conn, "ce_ledger_entries")

    def rows():
        n = base
        for i in holders:
            for k in range(per):
                on = min(ctx.today, earned[i] + timedelta(days=rng.randrange(0, 1100)))
                yield (n, i, "roster", f"bench:{k}", on, rng.choice((1, 1.5, 2, 3, 6)),
                       rng.choice(CATEGORIES), rng.choice(TYPES), f"Session {k}", "PSE", "",
                       ctx.now)
                n += 1

    copy_rows(ctx.conn, "ce_ledger_entries",
              ["id", "user_id", "kind", "source", "earned_on", "hours", "category",
               "activity_type", "title", "provider", "reason", "created_at"], rows())
    return f"{len(holders)} holders, {per * len(holders)} ledger rows"


def gen_submissions(ctx: Ctx) -> str:
    """10,000 submitted versions on the first assignment."""
    assignment = ctx.conn.exec_driver_sql("SELECT MIN(id) FROM assignments").scalar()
    if assignment is None:
        return "no assignment: skipped"
    taken = {r[0] for r in ctx.conn.exec_driver_sql(
        f"SELECT user_id FROM submissions WHERE assignment_id = {int(assignment)}")}  # noqa: S608
    users = [u for u in ctx.user_ids if u not in taken][:SCALE["submissions"]]
    base = _next_id(ctx.conn, "submissions")
    body = "We met residents at the library and recorded what they asked for. " * 20
    copy_rows(ctx.conn, "submissions",
              ["id", "assignment_id", "user_id", "status", "draft_body", "version_count",
               "submitted_at", "late_seconds", "similarity", "created_at"],
              ((base + n, assignment, u, "submitted", "", 1, ctx.now, 0, 0.0, ctx.now)
               for n, u in enumerate(users)))
    copy_rows(ctx.conn, "submission_versions",
              ["submission_id", "number", "body", "submitted_at", "late_seconds", "shingles"],
              ((base + n, 1, body, ctx.now, 0, "[]") for n in range(len(users))))
    return f"{len(users)} submissions on assignment {assignment}"


#: The year of the generated credentials' IDs: their serials never meet the demo's.
BENCH_CREDENTIAL_YEAR = 2020


def gen_credentials(ctx: Ctx) -> str:
    """A credential for each CE holder who has none (50,000 in all), each with its "issued"
    event; the holders' CE records point at them."""
    from lms.credentials.ids import format_id

    have = {r[0] for r in ctx.conn.exec_driver_sql("SELECT user_id FROM credentials")}
    holders = [r[0] for r in ctx.conn.exec_driver_sql(
        "SELECT user_id, earned_on FROM ce_holders ORDER BY user_id") if r[0] not in have]
    holders = holders[:max(0, SCALE["credentials"] - len(have))]
    earned = dict(ctx.conn.exec_driver_sql("SELECT user_id, earned_on FROM ce_holders").all())
    base = _next_id(ctx.conn, "credentials")
    ids = {uid: format_id("JCAP", BENCH_CREDENTIAL_YEAR, n + 1) for n, uid in enumerate(holders)}
    copy_rows(ctx.conn, "credentials",
              ["id", "user_id", "credential_id", "issued_on", "reason", "automatic", "state",
               "state_reason", "created_at"],
              ((base + n, uid, ids[uid], earned[uid], "", True, "active", "", ctx.now)
               for n, uid in enumerate(holders)))
    copy_rows(ctx.conn, "credential_events",
              ["credential_id", "at", "from_state", "to_state", "reason"],
              ((base + n, ctx.now, None, "active", "earned") for n in range(len(holders))))
    ctx.conn.exec_driver_sql(
        "INSERT INTO credential_serials (year, last) VALUES (%s, %s)"
        if ctx.conn.dialect.name != "postgresql" else
        "INSERT INTO credential_serials (year, last) VALUES (%s, %s) ON CONFLICT (year) "
        "DO UPDATE SET last = EXCLUDED.last", (BENCH_CREDENTIAL_YEAR, len(holders)))
    ctx.conn.exec_driver_sql(
        "UPDATE ce_holders SET credential_ref = c.credential_id FROM credentials c "
        "WHERE c.user_id = ce_holders.user_id")
    return f"{len(holders)} credentials"


#: Boards every signed-in member sees: the generated threads go there.
BENCH_BOARDS = ("network:introductions", "network:racial-equity", "network:climate-resilience",
                "network:jobs", "network:events")


def gen_posts(ctx: Ctx) -> str:
    """10,000 threads on the network boards with 100,000 posts in all (an opening post and
    nine replies each), written by the generated users."""
    threads = SCALE["posts"] // 10
    rng = ctx.rng
    base_thread = _next_id(ctx.conn, "community_threads")
    base_post = _next_id(ctx.conn, "community_posts")
    authors = ctx.user_ids or [ctx.learner_id]
    start = ctx.now - timedelta(days=400)
    thread_rows, post_rows = [], []
    body = ("In our neighbourhood the bus stop moved and residents were not asked. "
            "How did your coalition get the transit agency to the table? ")
    pid = base_post
    for t in range(threads):
        tid = base_thread + t
        opened = start + timedelta(minutes=t * 50)
        last = opened + timedelta(minutes=9 * 30)
        thread_rows.append((tid, BENCH_BOARDS[t % len(BENCH_BOARDS)], "discussion",
                            f"Bench thread {t}: engaging residents early", rng.choice(authors),
                            False, opened, last, 9, False, False, False, True))
        for k in range(10):
            post_rows.append((pid, tid, rng.choice(authors), body * (1 + k % 3), False, k == 0,
                              "visible", opened + timedelta(minutes=k * 30), 0, False))
            pid += 1
    copy_rows(ctx.conn, "community_threads",
              ["id", "board_key", "kind", "title", "author_id", "anonymous", "created_at",
               "last_post_at", "reply_count", "answered", "pinned", "locked", "listed"],
              thread_rows)
    copy_rows(ctx.conn, "community_posts",
              ["id", "thread_id", "author_id", "body", "anonymous", "is_opening", "status",
               "created_at", "like_count", "accepted"], post_rows)
    return f"{threads} threads, {len(post_rows)} posts"


#: (table, generator) in order. A generator runs only when its table exists.
GENERATORS: list[tuple[str, Callable[[Ctx], str]]] = [
    ("users", gen_users),
    ("enrolments", gen_enrolments),
    ("ce_ledger_entries", gen_ce),
    ("submissions", gen_submissions),
    ("credentials", gen_credentials),
    ("community_posts", gen_posts),
]
FULL_USERS = SCALE["users"]


def scale_to(users: int) -> None:
    """Every row count in proportion to `users` (the courses stay: the catalogue is the same)."""
    factor = users / FULL_USERS
    for key in ("users", "holders", "ledger_rows", "submissions", "credentials", "posts"):
        SCALE[key] = max(10, int(SCALE[key] * factor))
    ENOUGH.update(enough())


def create_database(url: str) -> None:
    """Make the benchmark's PostgreSQL database when it is missing (a fresh machine)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s",
                                (target.database,)).first() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    engine.dispose()


#: A generator runs when its table holds fewer rows than this (so a database made before a
#: generator existed gains its rows on the next run).
def enough() -> dict[str, int]:
    return {"users": SCALE["users"],
            "enrolments": SCALE["users"] * SCALE["enrolments_per_user"] * 9 // 10,
            "ce_ledger_entries": SCALE["ledger_rows"], "submissions": SCALE["submissions"],
            "credentials": SCALE["credentials"], "community_posts": SCALE["posts"]}


ENOUGH = enough()
#: Tables whose id sequences follow the generated rows.
SEQUENCES = ("users", "enrolments", "ce_ledger_entries", "submissions", "item_progress",
             "submission_versions", "credentials", "credential_events", "community_threads",
             "community_posts")


def make_tree(root: Path, total_courses: int) -> None:
    """The real curriculum plus generated courses up to `total_courses` (4 lessons each)."""
    shutil.copytree(ROOT / "courses", root)
    real = sum(1 for p in root.iterdir() if (p / "course.md").exists())
    body = "\n\n".join(f"## Section {s}\n\n" + "Plain words about neighbourhoods. " * 60
                       for s in range(6))
    for c in range(max(0, total_courses - real)):
        folder = root / f"bench-{c:03d}"
        folder.mkdir()
        (folder / "course.md").write_text(
            f"---\ncode: BENCH-{c:03d}\ntitle: Bench course {c}\nsummary: Generated.\n"
            "ce_hours: 2\nce_category: practice\nlevel: introductory\n---\nOverview.\n")
        for i in range(4):
            (folder / f"{i + 1:02d}-lesson-{i}.md").write_text(
                f"---\ntitle: Lesson {i}\n---\n{body}\n")


def generate(url: str, regenerate: bool) -> dict:
    """Build (or reuse) the full-scale database; returns what the pages need (ids, urls)."""
    os.environ["BENCH_DATABASE_URL"] = url
    if regenerate:
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    from bench.common import bench_app

    app, tmp = bench_app("lms-bench-http-")
    from sqlalchemy import inspect

    from lms import clock
    from lms.auth.services import get_user_by_email
    from lms.courses import services as courses
    from lms.extensions import db

    now = clock.now()
    with app.app_context():
        have = db.session.execute(db.text("SELECT COUNT(*) FROM users")).scalar() or 0
        if have < SCALE["users"]:
            start = time.perf_counter()
            tree = tmp / "courses"
            make_tree(tree, SCALE["courses"])
            courses.import_courses(tree, now)
            app.config["COURSES_DIR"] = str(tree)
            print(f"  {SCALE['courses']} courses imported in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            result = app.test_cli_runner().invoke(args=["demo"])
            if result.exit_code:
                raise SystemExit(f"demo failed: {result.output}")
        learner = get_user_by_email(LEARNER)
        conn = db.session.connection()
        generated = [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM users WHERE email LIKE '%%@bench.example.org' ORDER BY id")]
        ctx = Ctx(db, conn, now, now.date(), random.Random(16), generated, learner.id)
        tables = set(inspect(conn).get_table_names())
        ran = False
        for table, generator in GENERATORS:
            if table not in tables:
                print(f"  {table}: no such table yet, skipped", flush=True)
                continue
            rows = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() or 0  # noqa: S608
            if rows >= ENOUGH[table]:
                continue
            start = time.perf_counter()
            done = generator(ctx)
            ran = True
            print(f"  {table}: {done} in {time.perf_counter() - start:.1f} s", flush=True)
        if ran and conn.dialect.name == "postgresql":
            for table in SEQUENCES:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))")
        db.session.commit()
        if ran and conn.dialect.name == "postgresql":
            db.session.connection().exec_driver_sql("ANALYZE")
            db.session.commit()
        return _targets(app, now)


def _targets(app, now: datetime) -> dict:
    """The URLs to drive: the demo learner's lesson, quiz attempt (started here) and CE page."""
    from lms.auth.services import get_user_by_email
    from lms.courses.models import Course, Enrolment, Item
    from lms.errors import DomainError
    from lms.extensions import db
    from lms.quizzes import services as quizzes

    learner = get_user_by_email(LEARNER)
    jc101 = db.session.scalar(db.select(Course).where(Course.code == "JC-101"))
    lesson = db.session.scalar(db.select(Item).where(
        Item.course_id == jc101.id, Item.kind == "lesson", Item.active.is_(True),
        Item.slug.like("%/%")).order_by(Item.position))
    attempt = None
    for enrolment in db.session.scalars(db.select(Enrolment).where(
            Enrolment.user_id == learner.id)):
        for quiz_item in db.session.scalars(db.select(Item).where(
                Item.course_id == enrolment.course_id, Item.kind == "quiz",
                Item.active.is_(True))):
            quiz = quizzes.quiz_for_item(quiz_item)
            if quiz is None or quiz.exam or (quiz.settings or {}).get("time_limit"):
                continue
            try:
                attempt = quizzes.start_attempt(quiz, learner, enrolment, now, rng_seed=16)
                break
            except DomainError:
                continue
        if attempt is not None:
            break
    def one(sql: str):
        return db.session.execute(db.text(sql)).scalar()

    # a generated thread and credential from the middle of the range (not the first rows)
    thread = one("SELECT id FROM community_threads WHERE title LIKE 'Bench thread %' "  # noqa: S608
                 f"ORDER BY id OFFSET {SCALE['posts'] // 20} LIMIT 1")
    credential = one(f"SELECT credential_id FROM credentials WHERE credential_id LIKE "  # noqa: S608
                     f"'JCAP-{BENCH_CREDENTIAL_YEAR}-%' ORDER BY id "
                     f"OFFSET {SCALE['credentials'] // 2} LIMIT 1")
    return {"lesson": f"/courses/JC-101/items/{lesson.slug}",
            "attempt": attempt.id if attempt is not None else None,
            "thread": thread or 1, "credential": credential or "JCAP-2020-000001-X",
            "users": one("SELECT COUNT(*) FROM users"),
            "ledger_rows": one("SELECT COUNT(*) FROM ce_ledger_entries"),
            "credentials": one("SELECT COUNT(*) FROM credentials"),
            "posts": one("SELECT COUNT(*) FROM community_posts")}


# ------------------------------------------------------------------------------ serving


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_reachable(url: str) -> bool:
    host, _, rest = url.removeprefix("redis://").partition(":")
    try:
        with socket.create_connection((host, int(rest.split("/")[0] or 6379)), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except (OSError, ValueError):
        return False


def gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    """gunicorn with 2 sync workers: the same settings for the app and the bare route."""
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-k", "sync",
           "-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env,  # noqa: S603 - our own command line
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _, _ = request(port, "/healthz" if target == APP else "/")
            if status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{target} did not start on port {port}")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def request(port: int, path: str, cookie: str = "", method: str = "GET",
            body: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the real form (CSRF token and all); returns the Cookie header."""
    from urllib.parse import urlencode

    status, headers, page = request(port, "/account/signin")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = headers.get("set-cookie", "").split(";")[0]
    body = urlencode({"csrf_token": token.group(1) if token else "", "email": email,
                      "password": password})
    status, headers, _ = request(port, "/account/signin", cookie, "POST", body)
    if status != 302:
        raise SystemExit(f"signing in as {email} failed ({status})")
    return headers["set-cookie"].split(";")[0]


# ------------------------------------------------------------------------------ load


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:  # pragma: no cover - checked before any load is sent
        raise SystemExit("wrk is not installed")
    return found


def run_wrk(port: int, path: str, seconds: float, cookie: str, connections: int) -> dict:
    env = {**os.environ, "BENCH_COOKIE": cookie}
    out = subprocess.run(  # noqa: S603 - our own command line
        [wrk_path(), "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "10s", "-s", str(HERE / "stats.lua"), f"http://127.0.0.1:{port}{path}"],
        env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON "):])


def run_python(port: int, paths: list[str], seconds: float | None, cookie: str,
               connections: int, total: int | None = None) -> dict:
    """A threaded keep-alive load generator (wrk's stand-in): `seconds` or `total` requests."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = [0]
    stop_at = time.monotonic() + seconds if seconds else None

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        n = offset
        while True:
            with lock:
                if total is not None and counter[0] >= total:
                    break
                counter[0] += 1
            if stop_at is not None and time.monotonic() >= stop_at:
                break
            path = paths[n % len(paths)]
            n += 1
            begin = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - begin) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    begin = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] \
            if latencies else 0.0

    return {"requests": len(latencies), "seconds": round(elapsed, 3),
            "rps": round(len(latencies) / elapsed, 1), "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "errors": 0, "non2xx": errors[0]}


def mixed_load(port: int, paths: list[str], cookie: str, args, use_wrk: bool) -> int:
    """At least `args.mixed` requests spread over every page; returns how many were sent."""
    if not use_wrk:
        return run_python(port, paths, None, cookie, args.connections,
                          total=args.mixed)["requests"]
    sent = 0
    env = {**os.environ, "BENCH_COOKIE": cookie, "BENCH_PATHS": "|".join(paths)}
    while sent < args.mixed:
        out = subprocess.run(  # noqa: S603 - our own command line
            [wrk_path(), "-t", "2", "-c", str(args.connections), "-d", "5s", "--timeout", "10s",
             "-s", str(HERE / "mixed.lua"), f"http://127.0.0.1:{port}/"],
            env=env, capture_output=True, text=True, check=True).stdout
        line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
        sent += json.loads(line[len("BENCH_JSON "):])["requests"]
    return sent


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    """Resident memory of the gunicorn master's worker processes, in MB."""
    out = []
    for pid in Path("/proc").iterdir():
        if not pid.name.isdigit():
            continue
        try:
            status = (pid / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master.pid}$", status, re.M):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if rss:
                out.append(round(int(rss.group(1)) / 1024, 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0, help="per page and per bare run")
    parser.add_argument("--rounds", type=int, default=2, help="bare/page alternations per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--mixed", type=int, default=10_000, help="requests before the RSS")
    parser.add_argument("--regenerate", action="store_true", help="drop and generate again")
    parser.add_argument("--python-load", action="store_true", help="do not use wrk")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--redis", default=DEFAULT_REDIS,
                        help="the shared cache, as in production (in-process when it does not "
                             "answer)")
    parser.add_argument("--out", default=None,
                        help="bench/results.json (bench/results-<users>.json when --users)")
    parser.add_argument("--users", type=int, default=FULL_USERS,
                        help="scale every table with the users (1000: the small comparison); "
                             "a scale of its own gets a database of its own (<name>_<users>)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    if args.users != FULL_USERS:
        scale_to(args.users)
        url = f"{url}_{args.users}"
    args.out = args.out or str(HERE / ("results.json" if args.users == FULL_USERS
                                       else f"results-{args.users}.json"))
    create_database(url)
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    if not use_wrk and not args.python_load:
        print("wrk is not installed (Debian/Ubuntu: sudo apt-get install -y wrk); using the "
              "built-in Python load generator, whose own overhead lowers every figure.",
              flush=True)

    print(f"database {url.rsplit('@', 1)[-1]}: generating the full-scale data if missing ...",
          flush=True)
    start = time.perf_counter()
    targets = generate(url, args.regenerate)
    print(f"  ready in {time.perf_counter() - start:.1f} s ({targets['users']} users, "
          f"{targets['ledger_rows']} ledger rows)", flush=True)

    instance = tempfile.mkdtemp(prefix="lms-bench-http-run-")
    env = {**os.environ, "DATABASE_URL": url, "LMS_INSTANCE_PATH": instance,
           "SECRET_KEY": "bench-http-secret", "RATELIMIT_ENABLED": "false",
           "BENCH_QUERY_HEADER": "1", "PYTHONPATH": str(ROOT)}
    if redis_reachable(args.redis):  # production's shared cache, under a prefix of this run's
        env.update(CACHE_REDIS_URL=args.redis, CACHE_KEY_PREFIX=f"bench-{os.getpid()}:")
        print(f"cache: Redis at {args.redis}", flush=True)
    else:
        print(f"cache: in-process (Redis at {args.redis} does not answer)", flush=True)
    app_port, bare_port = free_port(), free_port()
    app_proc = gunicorn(APP, app_port, env)
    bare_proc = gunicorn("bench.bare:app", bare_port, env)
    try:
        return drive(args, targets, app_port, bare_port, app_proc, use_wrk)
    finally:
        stop(app_proc)
        stop(bare_proc)


def drive(args, targets: dict, app_port: int, bare_port: int, app_proc, use_wrk: bool) -> int:
    cookie = sign_in(app_port, LEARNER, LEARNER_PASSWORD)
    # name, path, optional (skipped when 404); the verification pages are for employers and
    # the public, so they are driven without the learner's cookie (PUBLIC)
    pages: list[tuple[str, str, bool]] = [
        ("healthz", "/healthz", False),
        # The floors (bench/app.py): what every signed-in page pays before its own content.
        ("signed-in JSON", "/_bench/signed-in", False),
        ("layout", "/_bench/layout", False),
        ("catalogue", "/courses", False),
        ("course page", "/courses/JC-101", False),
        ("lesson", targets["lesson"], False),
        ("dashboard", "/dashboard", False),
        ("quiz attempt", f"/quiz/attempts/{targets['attempt']}", targets["attempt"] is None),
        ("CE page", "/ce", False),
        # Built by other issues: enabled as soon as the route answers.
        ("credential page", "/credential", True),
        ("thread page", f"/community/threads/{targets['thread']}", True),
        ("verify page", f"/verify/{targets['credential']}", True),
        ("verify API", f"/api/v1/verify/{targets['credential']}", True),
    ]
    if args.only:
        wanted = {x.strip() for x in args.only.split(",")}
        pages = [p for p in pages if p[0] in wanted]

    def load(port: int, path: str, with_cookie: bool) -> dict:
        c = cookie if with_cookie and not path.startswith(PUBLIC) else ""
        if use_wrk:
            return run_wrk(port, path, args.seconds, c, args.connections)
        return run_python(port, [path], args.seconds, c, args.connections)

    results: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                     "load_generator": "wrk" if use_wrk else "python",
                     "connections": args.connections, "seconds": args.seconds,
                     "rounds": args.rounds, "pages": {},
                     "scale": {**SCALE, **{k: targets[k] for k in (
                         "users", "ledger_rows", "credentials", "posts")}}}
    print(f"\n{'page':<16}{'req/s':>8}{'bare':>8}{'ratio':>7}{'goal':>7}{'p50':>7}{'p95':>7}"
          f"{'p99':>7}{'queries':>8}", flush=True)
    failed = False
    for name, path, optional in pages:
        own = "" if path.startswith(PUBLIC) else cookie
        request(app_port, path, own)  # warm; a first visit may record it (a write)
        status, headers, _ = request(app_port, path, own)
        if status != 200:
            if optional and status == 404:
                print(f"{name:<16}  skipped: {path} answers 404 (not built yet)", flush=True)
                continue
            print(f"{name:<16}  FAILED: {path} answers {status}", flush=True)
            failed = True
            continue
        queries = int(headers.get("x-query-count", "-1"))
        runs, bares = [], []
        for _ in range(args.rounds):
            bares.append(load(bare_port, BARE_JSON if name in JSON_PAGES else "/", False))
            runs.append(load(app_port, path, True))
        best = max(runs, key=lambda r: r["rps"])
        bare_rps = statistics.mean(b["rps"] for b in bares)
        ratio = statistics.mean(r["rps"] for r in runs) / bare_rps
        goal = GOAL_RATIO.get(name)
        ok = (goal is None or ratio >= goal) and best["p95"] <= GOAL_P95_MS and (
            name != "lesson" or queries <= GOAL_LESSON_QUERIES)
        failed |= not ok
        results["pages"][name] = {
            "path": path, "rps": round(statistics.mean(r["rps"] for r in runs), 1),
            "bare_rps": round(bare_rps, 1), "ratio": round(ratio, 3), "goal": goal,
            "p50_ms": best["p50"], "p95_ms": best["p95"], "p99_ms": best["p99"],
            "queries": queries, "errors": sum(r["errors"] + r["non2xx"] for r in runs),
            "ok": ok}
        print(f"{name:<16}{results['pages'][name]['rps']:>8.0f}{bare_rps:>8.0f}{ratio:>7.3f}"
              f"{'' if goal is None else f'{goal:.2f}':>7}{best['p50']:>7.1f}{best['p95']:>7.1f}"
              f"{best['p99']:>7.1f}{queries:>8}  {'ok' if ok else 'MISSED'}", flush=True)

    mixed = [results["pages"][n]["path"] for n in results["pages"]]
    if mixed and args.mixed:
        sent = mixed_load(app_port, mixed, cookie, args, use_wrk)
        rss = worker_rss_mb(app_proc)
        results["worker_rss_mb"] = rss
        results["mixed_requests"] = sent
        rss_ok = bool(rss) and max(rss) <= GOAL_RSS_MB
        failed |= not rss_ok
        print(f"\nworker RSS after {sent} mixed requests (and the runs above): {rss} MB "
              f"(goal <= {GOAL_RSS_MB})  {'ok' if rss_ok else 'MISSED'}", flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

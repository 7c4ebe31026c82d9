"""CE at programme scale: 50,000 holders and 1,000,000 ledger rows.

    .venv/bin/python -m bench.ce                      # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.ce
    .venv/bin/python -m bench.ce --holders 5000 --rows 100000   # a quicker run

Generates the rows with bulk inserts (COPY on PostgreSQL), then times a holder's CE page
through the Flask test client (target p95 <= 50 ms, with the query count printed: it does
not grow with the ledger) and the daily sweep over every holder (target < 60 s on
PostgreSQL; holders are streamed in batches, ledger rows loaded only for holders with a
reminder due). Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from bench.common import bench_app

PAGE_TARGET_MS = 50
SWEEP_TARGET_S = 60
CATEGORIES = ("racial-equity", "climate-resilience", "collective-impact", "practice", "ethics")
TYPES = ("convening", "allied-course", "professional-credit", "volunteering", "mentoring")


def _copy(conn, table: str, columns: list[str], rows) -> None:
    """COPY rows into table (PostgreSQL) or executemany (SQLite)."""
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") \
                as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cur = raw.cursor()
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - constants
        cur.executemany(sql, rows)


def generate(db, holders: int, rows: int, today: date, now: datetime) -> int:
    """Bulk-insert holders (users, credentials' CE records) and ledger rows; returns the id of
    one holder with a typical ledger."""
    from lms.auth.services import hash_password

    rng = random.Random(11)
    hashed = hash_password("bench-password-1")
    conn = db.session.connection()
    base = (conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM users").scalar() or 0) + 1
    ids = range(base, base + holders)
    _copy(conn, "users", ["id", "email", "password_hash", "name", "legal_name", "organisation",
                          "city", "country", "bio", "directory_opt_in", "role", "active",
                          "email_confirmed_at", "created_at"],
          ((i, f"holder{i}@example.org", hashed, f"Holder {i}", "", "", "", "", "", False,
            "learner", True, now, now) for i in ids))
    earned = {i: today - timedelta(days=rng.randrange(0, 1100)) for i in ids}
    _copy(conn, "ce_holders", ["user_id", "earned_on", "credential_ref", "state", "state_cycle",
                               "created_at"],
          ((i, earned[i], f"JCAP-BENCH-{i}", "active", 0, now) for i in ids))
    per = max(1, rows // holders)

    def ledger():
        n = 0
        for i in ids:
            for k in range(per):
                n += 1
                on = min(today, earned[i] + timedelta(days=rng.randrange(0, 1100)))
                yield (n, i, "roster", f"bench:{k}", on, rng.choice((1, 1.5, 2, 3, 6)),
                       rng.choice(CATEGORIES), rng.choice(TYPES), f"Session {k}", "PSE", "",
                       now)

    _copy(conn, "ce_ledger_entries", ["id", "user_id", "kind", "source", "earned_on", "hours",
                                      "category", "activity_type", "title", "provider",
                                      "reason", "created_at"], ledger())
    if conn.dialect.name == "postgresql":
        for table in ("users", "ce_ledger_entries"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                 f"(SELECT MAX(id) FROM {table}))")
        conn.exec_driver_sql("ANALYZE")
    db.session.commit()
    return base + holders // 2


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holders", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    # Reminder e-mails go to an in-memory broker, as they go to Redis in production: the
    # sweep is timed, not the delivery of thousands of e-mails (the worker's job).
    app, tmp = bench_app("lms-bench-ce-", COURSES_DIR="courses",
                         CELERY_BROKER_URL="memory://")

    from lms.credits import services as ce
    from lms.extensions import db, engines

    app.logger.setLevel("WARNING")  # the reminders would be logged one by one
    now = datetime.now(UTC)
    today = now.date()
    with app.app_context():
        if os.environ.get("BENCH_DATABASE_URL"):  # a reused database: start from empty tables
            db.session.execute(db.text("INSERT INTO ce_ledger_unlock (reason) VALUES ('bench')"))
            for table in ("ce_reminders", "ce_ledger_entries", "ce_holders", "outbox_messages"):
                db.session.execute(db.text(f"DELETE FROM {table}"))  # noqa: S608 - constants
            db.session.execute(db.text("DELETE FROM ce_ledger_unlock"))
            db.session.execute(db.text("DELETE FROM users WHERE email LIKE 'holder%'"))
            db.session.commit()
        print(f"generating {args.holders} holders and {args.rows} ledger rows ...", flush=True)
        start = time.perf_counter()
        sample = generate(db, args.holders, args.rows, today, now)
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
        email = f"holder{sample}@example.org"

    client = app.test_client()
    client.post("/account/signin", data={"email": email, "password": "bench-password-1"})
    client.get("/ce")
    from sqlalchemy import event

    counter = {"n": 0}

    def count(*_):
        counter["n"] += 1

    with app.app_context():
        for engine in engines():
            event.listen(engine, "before_cursor_execute", count)
    samples = []
    for _ in range(args.runs):
        begin = time.perf_counter()
        response = client.get("/ce")
        samples.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    queries = counter["n"] // args.runs
    samples.sort()
    p95 = samples[int(0.95 * (len(samples) - 1))]
    page_ok = p95 <= PAGE_TARGET_MS
    print(f"CE page: median {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms "
          f"(target {PAGE_TARGET_MS}), {queries} queries  {'ok' if page_ok else 'MISSED'}")

    with app.app_context():
        begin = time.perf_counter()
        report = ce.sweep(today, now)
        seconds = time.perf_counter() - begin
        begin = time.perf_counter()
        again = ce.sweep(today, now)
        second = time.perf_counter() - begin
    sweep_ok = seconds < SWEEP_TARGET_S
    print(f"sweep: {seconds:.1f} s (target {SWEEP_TARGET_S}) {report.as_text()}  "
          f"{'ok' if sweep_ok else 'MISSED'}")
    print(f"second sweep the same day: {second:.1f} s, {again.as_text()}")
    return 0 if page_ok and sweep_ok else 1


if __name__ == "__main__":
    sys.exit(main())

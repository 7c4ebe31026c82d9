"""Public verification at programme scale: 50,000 credentials.

    .venv/bin/python -m bench.verify                      # SQLite in a temporary folder
    BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.verify
    .venv/bin/python -m bench.verify --holders 5000 --seconds 3   # a quicker run

Generates holders (users, CE records: bench/ce.py's generator) and their credentials, then,
in-process through the WSGI app (no server, no network, one process: the ratio compares the
app's own work), measures the throughput of ``GET /api/v1/verify/<ID>`` (random issued IDs)
against a bare Flask JSON route added to the same app (interleaved slices, median ratio, the
load average printed: the machine may be shared), and times ``POST
/api/v1/verify/batch`` with 500 IDs (p50/p95 and its query count). Targets (issue 13): the
lookup at least half the bare route's throughput; a batch of 500 within 200 ms, in a
constant number of queries. Exits 1 when a target is missed. The gunicorn + wrk harness
(another branch) measures the same under a real server with 2 workers.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime

from bench.common import bench_app

RATIO_TARGET = 0.5
BATCH_TARGET_MS = 200


def add_credentials(db, today) -> list[str]:
    """A credential for every CE holder the generator made (bulk insert); their IDs."""
    from bench.ce import _copy
    from lms.credentials.ids import format_id

    conn = db.session.connection()
    holders = conn.exec_driver_sql("SELECT user_id, earned_on FROM ce_holders "
                                   "ORDER BY user_id").all()
    serials: dict[int, int] = {}
    rows, ids = [], []
    now = datetime.now(UTC)
    for user_id, earned_on in holders:
        earned = earned_on if not isinstance(earned_on, str) else \
            datetime.strptime(earned_on, "%Y-%m-%d").date()
        serials[earned.year] = serials.get(earned.year, 0) + 1
        credential_id = format_id("JCAP", earned.year, serials[earned.year])
        ids.append(credential_id)
        rows.append((user_id, credential_id, earned, "bench", False, "active", "", now))
    _copy(conn, "credentials", ["user_id", "credential_id", "issued_on", "reason", "automatic",
                                "state", "state_reason", "created_at"], rows)
    _copy(conn, "credential_serials", ["year", "last"], list(serials.items()))
    conn.exec_driver_sql("UPDATE ce_holders SET credential_ref = (SELECT credential_id FROM "
                         "credentials WHERE credentials.user_id = ce_holders.user_id)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")
    db.session.commit()
    return ids


def throughput(client, paths: list[str], seconds: float) -> tuple[float, int]:
    """Requests per second over `seconds` (cycling through paths), and the count."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        response = client.get(paths[n % len(paths)])
        assert response.status_code == 200, (paths[n % len(paths)], response.status_code)
        n += 1
    return n / (time.perf_counter() - start), n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holders", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=10,
                        help="interleaved bare/lookup slices the seconds are split into")
    args = parser.parse_args()
    app, _ = bench_app("lms-bench-verify-", COURSES_DIR="courses")

    @app.get("/bench/bare")
    def bare():  # the baseline: Flask's own cost of a JSON answer
        return {"ok": True}

    from bench.ce import generate
    from lms.extensions import db, engines

    now = datetime.now(UTC)
    with app.app_context():
        print(f"generating {args.holders} holders with credentials ...", flush=True)
        start = time.perf_counter()
        generate(db, args.holders, args.holders, now.date(), now)
        ids = add_credentials(db, now.date())
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)

    rng = random.Random(7)
    sample = [f"/api/v1/verify/{i}" for i in rng.sample(ids, min(2000, len(ids)))]
    client = app.test_client()
    client.get(sample[0])
    client.get("/bench/bare")
    # Interleaved slices (bare, lookup, bare, lookup, ...): on a shared machine a burst of
    # load then hits both sides alike; the ratio is the median of the slices' ratios.
    rounds = max(1, args.rounds)
    ratios, bare_total, verify_total = [], [0.0, 0], [0.0, 0]
    for _ in range(rounds):
        bare_rps, bare_n = throughput(client, ["/bench/bare"], args.seconds / rounds)
        verify_rps, verify_n = throughput(client, sample, args.seconds / rounds)
        ratios.append(verify_rps / bare_rps)
        bare_total = [bare_total[0] + bare_n / bare_rps, bare_total[1] + bare_n]
        verify_total = [verify_total[0] + verify_n / verify_rps, verify_total[1] + verify_n]
    ratio = statistics.median(ratios)
    bare_rps, verify_rps = bare_total[1] / bare_total[0], verify_total[1] / verify_total[0]
    print(f"GET /bench/bare           {bare_rps:8.0f} req/s ({bare_total[1]} requests)")
    print(f"GET /api/v1/verify/<ID>   {verify_rps:8.0f} req/s ({verify_total[1]} requests)")
    print(f"ratio {ratio:.2f}, median of {rounds} interleaved slices "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target >= {RATIO_TARGET})")

    from sqlalchemy import event

    counter = {"n": 0}

    def count(*_):
        counter["n"] += 1

    with app.app_context():
        for engine in engines():
            event.listen(engine, "before_cursor_execute", count)
    timings, queries = [], set()
    for _ in range(args.batches):
        batch = rng.sample(ids, 500)
        counter["n"] = 0
        start = time.perf_counter()
        response = client.post("/api/v1/verify/batch", json={"ids": batch})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        assert all(r["found"] for r in response.get_json()["results"])
        queries.add(counter["n"])
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"POST /api/v1/verify/batch (500 IDs): p50 {p50:.0f} ms, p95 {p95:.0f} ms "
          f"(target <= {BATCH_TARGET_MS}); queries per batch: {sorted(queries)}")
    ok = ratio >= RATIO_TARGET and p95 <= BATCH_TARGET_MS and len(queries) == 1
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The e-mail digest for 20,000 members, and the notification bell.

    .venv/bin/python -m bench.digest [--members 20000 --per-member 5]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB python -m bench.digest

Builds a throwaway database (SQLite unless BENCH_DATABASE_URL), bulk-inserts `--members`
members with `--per-member` unread notifications each on a few boards (a tenth on a board the
visibility check hides), then times `run_digest` (every member due: the first digest) and
checks that a second run sends nothing; then times the bell (`unread_count`) for 200 members.
Targets: the digest < 60 s; the bell p95 <= 50 ms. Exits 1 on a miss.

E-mail delivery is the outbox task's job (in-process here, since no broker is configured, it
would log 20,000 messages): the benchmark times the digest with delivery queued to a broker
stand-in, which is how production runs it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from bench.common import bench_app

DIGEST_TARGET_S = 60
BELL_TARGET_MS = 50
BOARDS = ["global:introductions", "global:climate-resilience", "course:JC-101", "cohort:1",
          "cohort:2"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--per-member", type=int, default=5)
    args = parser.parse_args()
    app, _ = bench_app("bench-digest-")
    with app.app_context():
        from sqlalchemy import insert

        from lms import tasks
        from lms.auth.models import User
        from lms.community import notifications
        from lms.community.digest import run_digest
        from lms.community.notifications import Notification
        from lms.extensions import db

        now = datetime(2026, 12, 1, 7, tzinfo=UTC)
        started = time.perf_counter()
        db.session.execute(insert(User), [
            {"email": f"m{i}@example.org", "password_hash": "x", "name": f"Member {i}",
             "role": "learner", "active": True, "created_at": now}
            for i in range(args.members)])
        ids = list(db.session.scalars(db.select(User.id).order_by(User.id)))
        rows = []
        for uid in ids:
            for n in range(args.per_member):
                rows.append({"recipient_id": uid, "kind": "reply", "text": f"Reply {n}",
                             "url": f"/boards/t/{n}", "board_key": BOARDS[(uid + n) % 5],
                             "dedupe_key": f"post:{n}", "created_at": now})
        for start in range(0, len(rows), 20000):
            db.session.execute(insert(Notification), rows[start:start + 20000])
        db.session.commit()
        print(f"generated {len(ids)} members, {len(rows)} notifications in "
              f"{time.perf_counter() - started:.1f} s")

        # The boards' check stand-in: members with an even id cannot see cohort:2.
        notifications.set_visibility_check(
            lambda pairs: {p for p in pairs if not (p[1] == "cohort:2" and p[0] % 2 == 0)})
        queued: list[tuple] = []
        real_enqueue = tasks.enqueue
        tasks.enqueue = lambda task, *a, **kw: queued.append(a)  # a broker: delivery is later
        try:
            started = time.perf_counter()
            report = run_digest(now)
            digest_s = time.perf_counter() - started
            again = run_digest(now)
        finally:
            tasks.enqueue = real_enqueue
        print(f"digest: {report.as_text()} in {digest_s:.1f} s (target < {DIGEST_TARGET_S} s); "
              f"{len(queued)} deliveries queued; second run: {again.members} e-mails")

        times = []
        for uid in ids[:200]:
            started = time.perf_counter()
            notifications.unread_count(uid)
            times.append((time.perf_counter() - started) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"bell: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms "
              f"(target <= {BELL_TARGET_MS} ms)")
    ok = digest_s < DIGEST_TARGET_S and again.members == 0 and p95 <= BELL_TARGET_MS
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

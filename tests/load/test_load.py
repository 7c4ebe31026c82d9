"""Load and faults on the real stack (issue 17): `make test-load`, never part of `make test`.

The stack (tests/load/stack.py): gunicorn with 4 workers, a Celery worker and beat, a private
PostgreSQL cluster and Redis server (so both can really be restarted), moto's S3 server and an
SMTP server, all on loopback. The site is migrated and seeded (courses/, then the people below
made directly in the database: that is set-up, not load), then LOAD_PEOPLE threads play
journeys through the real pages and forms (sign in with the CSRF token from the page):
learners reading and completing lessons, taking the JC-101 quiz and the AP exam, submitting
the JC-201 case study with a PDF attached (to S3) and coming back to do their peer reviews,
holders reporting CE activities with evidence, the registrar approving them, employers calling
the verification API, members replying on the network board. The run stops at LOAD_REQUESTS
requests or LOAD_SECONDS, whichever comes first.

Faults, each at a fixed share of the request budget: kill -9 of a gunicorn worker mid-request;
kill -9 of the Celery worker (its whole process group) while a task is mid-run (the SMTP server
holds the e-mail being sent), then a new worker; a PostgreSQL restart (`pg_ctl restart -m
fast`); a Redis restart (SHUTDOWN, then a new server on the same port and files). A fault's
window runs from its start to when the site answers /healthz as healthy again, plus GRACE.

Afterwards, against the database and S3: every acknowledged thing is stored exactly once and
nothing is stored twice (lesson progress, quiz and exam attempts, submissions, attachments and
their S3 objects, peer reviews, CE activities, approvals in the ledger, posts); CE totals (the
credits service's own) equal the sum of the holder's ledger entries; credential IDs are unique;
no half-written records; no 5xx or unanswered request outside a fault window; every e-mail in
the outbox is delivered (a repeat only as lms/mail.py allows, same Message-ID); the killed
worker's unfinished task was delivered again.
The figures are printed and written to LOAD_REPORT (JSON) when set: docs/reliability.md.
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from sqlalchemy import func, select, text

from tests.load import people
from tests.load.client import Browser, Log
from tests.load.stack import Stack, wait

pytestmark = pytest.mark.load

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "2500"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "170"))
PEOPLE = int(os.environ.get("LOAD_PEOPLE", "16"))
GRACE = 3.0  # seconds after a fault's recovery that still count as its window
#: (share of the request budget at which it starts, fault)
FAULTS = [(0.12, "web worker killed"), (0.32, "celery worker killed"),
          (0.55, "postgresql restarted"), (0.78, "redis restarted")]
#: how many people of each kind (a person plays one journey; reviewers come back later)
CAST = {"reader": 60, "quiz": 50, "exam": 40, "case": 55, "holder": 35, "employer": 70,
        "member": 55}
HOLDERS = CAST["holder"] + 10  # some holders only appear in verification


@dataclass
class Fault:
    name: str
    at: float = 0.0
    recovered: float = 0.0
    detail: dict = field(default_factory=dict)

    def covers(self, start: float, end: float) -> bool:
        return start <= self.recovered + GRACE and end >= self.at


def _app(stack: Stack, monkeypatch):
    for key in [k for k in os.environ if k not in stack.env]:
        monkeypatch.delenv(key)
    for key, value in stack.env.items():
        monkeypatch.setenv(key, value)
    from lms import create_app

    return create_app()


def _seed(app) -> people.Site:
    """People made in the database directly (set-up, not load): fast password hashes."""
    from werkzeug.security import generate_password_hash

    from lms import clock
    from lms.assignments.models import Assignment
    from lms.auth.models import User
    from lms.community import services as boards
    from lms.courses.models import Course, Enrolment, Item, ItemProgress
    from lms.credentials import services as credentials
    from lms.extensions import db
    from lms.quizzes.models import Quiz

    now = clock.now()
    hashed = generate_password_hash(people.PASSWORD, "pbkdf2:sha256:1000")
    people._TODAY[:] = [(now.date() - timedelta(days=1)).isoformat()]
    with app.app_context():
        courses = {c.code: c for c in db.session.scalars(select(Course))}

        def user(email: str, role: str = "learner") -> User:
            made = User(email=email, name=email.split("@")[0].replace(".", " ").title(),
                        role=role, password_hash=hashed, email_confirmed_at=now,
                        created_at=now - timedelta(days=30))
            db.session.add(made)
            return made

        registrar = user("registrar@load.example.org", "registrar")
        cast: dict[str, list[User]] = {kind: [user(f"{kind}{n}@load.example.org")
                                              for n in range(count)]
                                       for kind, count in CAST.items() if kind != "employer"}
        extra = [user(f"holder{n}@load.example.org") for n in range(CAST["holder"], HOLDERS)]
        db.session.flush()
        enrol = {"reader": "JC-101", "quiz": "JC-101", "exam": "JC-AP", "case": "JC-201"}
        for kind, code in enrol.items():
            for person in cast[kind]:
                db.session.add(Enrolment(user_id=person.id, course_id=courses[code].id,
                                         enrolled_at=now, last_activity_at=now))
        db.session.commit()

        def items(code: str, kind: str) -> list[Item]:
            return list(db.session.scalars(select(Item).where(
                Item.course_id == courses[code].id, Item.kind == kind, Item.active.is_(True),
                Item.audience == "learners").order_by(Item.position)))

        lessons = [f"/courses/JC-101/items/{i.slug}" for i in items("JC-101", "lesson")]
        quizzes = {q.item_id: q for q in db.session.scalars(select(Quiz))}
        quiz_item = next(i for i in items("JC-101", "quiz")
                         if not (quizzes[i.id].settings or {}).get("time_limit"))
        exam_item = next(i for i in items("JC-AP", "quiz") if quizzes[i.id].exam)
        case_item = items("JC-201", "assignment")[0]
        assignment = db.session.scalar(select(Assignment).where(
            Assignment.item_id == case_item.id))
        # holders are one lesson short of JC-101: finishing it completes the course (CE hours)
        learner_items = list(db.session.scalars(select(Item).where(
            Item.course_id == courses["JC-101"].id, Item.active.is_(True),
            Item.audience == "learners").order_by(Item.position)))
        last_lesson = [i for i in learner_items if i.kind == "lesson"][-1]
        for person in cast["holder"]:
            enrolment = Enrolment(user_id=person.id, course_id=courses["JC-101"].id,
                                  enrolled_at=now, last_activity_at=now)
            db.session.add(enrolment)
            db.session.flush()
            db.session.add_all(ItemProgress(enrolment_id=enrolment.id, item_id=i.id,
                                            completed_at=now)
                               for i in learner_items if i.id != last_lesson.id)
        db.session.commit()
        ids = []
        for person in [*cast["holder"], *extra]:
            made = credentials.issue(person, now.date() - timedelta(days=30), "load test",
                                     None, now)
            ids.append(made.credential_id)
        thread = boards.create_thread(registrar, "network:introductions", kind="discussion",
                                      title="Load test: say hello", body="Who is here?",
                                      anonymous=False, now=now)
        return people.Site(
            lessons=lessons, quiz=quizzes[quiz_item.id].id,
            quiz_page=f"/courses/JC-101/items/{quiz_item.slug}",
            exam=quizzes[exam_item.id].id, exam_page=f"/courses/JC-AP/items/{exam_item.slug}",
            assignment=assignment.id, assignment_page=f"/courses/JC-201/items/{case_item.slug}",
            thread=thread.id, credential_ids=ids, registrar=registrar.email,
            last_lesson=f"/courses/JC-101/items/{last_lesson.slug}")


def _work(rng: random.Random) -> list[tuple[str, str]]:
    """The journeys in a shuffled order; the registrar after every 15; each case-study author
    comes back for the peer reviews given since, five submissions later."""
    work = [(kind, f"{kind}{n}@load.example.org") for kind, count in CAST.items()
            for n in range(count)]
    rng.shuffle(work)
    out: list[tuple[str, str]] = []
    authors: list[str] = []
    for n, job in enumerate(work, 1):
        out.append(job)
        if job[0] == "case":
            authors.append(job[1])
            if len(authors) > 4:  # an earlier author comes back for the reviews given since
                out.append(("review", authors[-5]))
        if n % 15 == 0:
            out.append(("registrar", ""))
    out += [("review", email) for email in authors[-4:]]
    out += [("registrar", ""), ("registrar", "")]
    return out


class Run:
    def __init__(self, stack: Stack, site: people.Site):
        self.stack = stack
        self.site = site
        self.log = Log(REQUESTS, time.monotonic() + SECONDS)
        self.acks = people.Acks()
        self.faults: list[Fault] = []
        self.jobs = _work(random.Random(17))
        self.lock = threading.Lock()
        self.crashes: list[str] = []
        self.killing = threading.Event()  # set while the fault kills the worker on purpose
        self.worker_exits: list[str] = []
        self.done = threading.Event()

    def supervise(self) -> None:
        """What systemd's Restart=on-failure does for the worker (docs/operations.md): a
        worker that exits by itself is started again, and the exit is reported."""
        while not self.done.is_set():
            worker = self.stack.worker
            if (worker is not None and not self.killing.is_set()
                    and worker.poll() is not None):
                log = self.stack.worker_logs[-1].read_text()
                why = re.findall(r"Unrecoverable error: (.*)", log)
                self.worker_exits.append(f"exit code {worker.returncode} at "
                                         f"{time.monotonic():.1f}: {why[-1] if why else '?'}")
                self.stack.start_worker()
            time.sleep(0.2)

    def person(self, n: int) -> None:
        rng = random.Random(n)
        while not self.log.spent:
            with self.lock:
                if not self.jobs:
                    return
                kind, email = self.jobs.pop(0)
            try:
                people.JOURNEYS[kind](Browser(self.stack.base, self.log), self.site,
                                      self.acks, email, rng)
            except Exception as err:  # noqa: BLE001 - a generator bug is reported, not hidden
                self.crashes.append(f"{kind} {email}: {type(err).__name__}: {err}")

    def healthy(self) -> bool:
        try:
            import urllib.request
            with urllib.request.urlopen(self.stack.base + "/healthz", timeout=2) as answer:  # noqa: S310
                return json.loads(answer.read()).get("status") == "ok"
        except OSError:
            return False

    def controller(self) -> None:
        for share, name in FAULTS:
            while len(self.log.requests) < share * REQUESTS and not self.log.spent:
                time.sleep(0.05)
            if self.log.spent:
                return
            fault = Fault(name, at=time.monotonic())
            self.faults.append(fault)
            getattr(self, "fault_" + name.split()[0])(fault)
            wait(self.healthy, 120, f"the site to recover from: {name}")
            fault.recovered = time.monotonic()

    def fault_web(self, fault: Fault) -> None:
        busy = wait(self.stack.busy_web_workers, 30, "a gunicorn worker serving a request")
        victim = busy[0]
        os.kill(victim, signal.SIGKILL)
        fault.detail["killed_pid"] = victim
        wait(lambda: len(self.stack.web_workers()) == 4
             and victim not in self.stack.web_workers(), 60, "gunicorn to replace its worker")

    def fault_celery(self, fault: Fault) -> None:
        inbox = self.stack.inbox
        inbox.attempts, inbox.stall = 0, True  # the next e-mail is held mid-DATA
        wait(inbox.entered.is_set, 90, "an e-mail to reach the SMTP server")
        old_log = self.stack.worker_logs[-1]
        fault.detail["killed_log"] = len(self.stack.worker_logs) - 1
        self.killing.set()
        self.stack.kill_worker()
        inbox.stall = False
        inbox.release.set()
        text_ = old_log.read_text()
        received = set(re.findall(r"Task (\S+\[[0-9a-f-]+\]) received", text_))
        finished = set(re.findall(r"Task (\S+\[[0-9a-f-]+\]) (?:succeeded|retry|raised)",
                                  text_))
        fault.detail["unfinished_tasks"] = sorted(received - finished)
        self.stack.start_worker()
        self.killing.clear()

    def fault_postgresql(self, fault: Fault) -> None:
        start = time.monotonic()
        self.stack.pg.restart()
        fault.detail["restart_seconds"] = round(time.monotonic() - start, 2)

    def fault_redis(self, fault: Fault) -> None:
        start = time.monotonic()
        self.stack.redis.restart()
        fault.detail["restart_seconds"] = round(time.monotonic() - start, 2)

    def go(self) -> float:
        start = time.monotonic()
        control = threading.Thread(target=self.controller, daemon=True)
        control.start()
        threading.Thread(target=self.supervise, daemon=True).start()
        threads = [threading.Thread(target=self.person, args=(n,)) for n in range(PEOPLE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        control.join(180)
        return time.monotonic() - start


@pytest.fixture
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("load")
    with ExitStack() as exits:
        made = Stack(workdir, exits)
        made.migrate_and_import()
        yield made


def test_load_and_faults(stack, monkeypatch):
    app = _app(stack, monkeypatch)
    stack.start_worker()
    stack.start_beat()
    site = _seed(app)
    stack.start_web()

    run = Run(stack, site)
    seconds = run.go()
    run.done.set()
    assert not run.crashes, run.crashes[:5]
    names = [f.name for f in run.faults]
    assert names == [name for _, name in FAULTS], f"faults that ran: {names}"

    report = _check(app, stack, run, seconds)
    print("\nLOAD REPORT " + json.dumps(report, indent=1, default=str))
    if os.environ.get("LOAD_REPORT"):
        Path(os.environ["LOAD_REPORT"]).write_text(json.dumps(report, indent=1, default=str))
    assert not report["problems"], "\n".join(report["problems"])


def _check(app, stack: Stack, run: Run, seconds: float) -> dict:
    """Everything the run was told, against the database and S3; the figures."""
    from lms import clock
    from lms.assignments.models import Attachment, PeerReview, Submission, SubmissionVersion
    from lms.auth.models import User
    from lms.community.models import Post
    from lms.courses.models import Course, Enrolment, Item, ItemProgress
    from lms.credentials.models import Credential
    from lms.credits import services as ce
    from lms.credits.models import CeActivity, LedgerEntry
    from lms.extensions import db
    from lms.mail import OutboxMessage
    from lms.quizzes.models import Attempt

    acks, problems = run.acks, []
    requests = run.log.requests

    def faulted(r) -> Fault | None:
        """The latest fault whose window the request overlaps."""
        return next((f for f in reversed(run.faults) if f.covers(r.start, r.end)), None)

    bad = [r for r in requests if r.status is None or r.status >= 500]
    outside = [r for r in bad if faulted(r) is None]
    problems += [f"{r.method} {r.path}: {r.status or r.error} outside every fault window"
                 for r in outside[:20]]
    web = run.faults[0]
    if not any(faulted(r) is web for r in bad):
        problems.append("the killed web worker was not serving a request (none was cut off)")
    per_fault = {f.name: {"failed": Counter(str(r.status or r.error.split(':')[0])
                                            for r in bad if faulted(r) is f),
                          "window_s": round(f.recovered - f.at, 2),
                          "requests_in_window": sum(1 for r in requests
                                                    if f.covers(r.start, r.end)),
                          **f.detail} for f in run.faults}

    # the e-mails: the redelivered task, then every outbox message delivered once
    celery = next(f for f in run.faults if f.name.startswith("celery"))
    later = stack.worker_logs[celery.detail["killed_log"] + 1:]
    redelivered = _soon(lambda: all(any(f"{t} received" in log.read_text() for log in later)
                                    for t in celery.detail["unfinished_tasks"]), 60)
    if not celery.detail["unfinished_tasks"]:
        problems.append("the Celery worker was killed with no task mid-run")
    elif not redelivered:
        problems.append(f"not redelivered: {celery.detail['unfinished_tasks']}")

    with app.app_context():
        db.engine.dispose()  # this process's own connections predate the restart
        def outbox() -> list[OutboxMessage]:
            db.session.expire_all()
            return list(db.session.scalars(select(OutboxMessage)))

        delivered = _soon(lambda: all(m.delivered for m in outbox()), 30)
        swept = 0
        if not delivered:
            # What lms.mail.retry_undelivered does for a message older than SWEEP_AFTER (5
            # minutes, too long to wait here): queue its delivery again, now.
            from lms.mail import deliver_task
            left = [m.id for m in outbox() if not m.delivered]
            swept = len(left)
            for message_id in left:
                deliver_task.delay(message_id)
            delivered = _soon(lambda: all(m.delivered for m in outbox()), 90)
        if not delivered:
            problems.append(f"{sum(not m.delivered for m in outbox())} e-mails undelivered")
        # Each outbox message arrives; a repeat is allowed only as lms/mail.py's note says (a
        # crash between the server accepting it and the outbox marking it delivered) and must
        # carry the same Message-ID, so mail programs drop the copy.
        messages = {m.id: m for m in outbox()}
        arrived = Counter(int(found.group(1)) for found in (
            re.match(r"<outbox-(\d+)\.", m["Message-ID"] or "")
            for m in stack.inbox.messages()) if found)
        missing = sorted(set(messages) - set(arrived))
        repeated = {i: n for i, n in arrived.items() if n > 1}
        problems += [f"e-mail {i} to {messages[i].recipient} never arrived" for i in missing]
        problems += [f"e-mail {i} arrived but is not in the outbox" for i in arrived
                     if i not in messages]
        if len(stack.inbox.messages()) != sum(arrived.values()):
            problems.append("an e-mail arrived without its outbox Message-ID")

        emails = {u.id: u.email for u in db.session.scalars(select(User))}
        by_email = {e: i for i, e in emails.items()}

        # lesson progress
        done = {(emails[uid], f"/courses/JC-101/items/{slug}") for uid, slug in db.session.execute(
            select(Enrolment.user_id, Item.slug).join(ItemProgress,
                                                      ItemProgress.enrolment_id == Enrolment.id)
            .join(Item, Item.id == ItemProgress.item_id))}
        problems += [f"progress lost: {p}" for p in sorted(acks.progress - done)]

        # attempts
        attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
        for attempt_id, email in acks.attempts.items():
            got = attempts.get(attempt_id)
            if got is None or got.status != "submitted" or emails[got.user_id] != email:
                problems.append(f"attempt {attempt_id} of {email} lost or not submitted")
        per_user = Counter(emails[a.user_id] for a in attempts.values())
        problems += [f"{email}: {per_user[email]} attempts for {n} starts sent"
                     for email, n in acks.starts_sent.items() if per_user[email] > n]
        problems += [f"attempt {a.id} submitted without a score" for a in attempts.values()
                     if a.status == "submitted" and (a.percent is None or a.submitted_at is None)]

        # submissions, versions, attachments and their S3 objects
        versions = list(db.session.scalars(select(SubmissionVersion)))
        for mark, email in acks.submissions.items():
            holding = [v for v in versions if mark in v.body]
            if len(holding) != 1:
                problems.append(f"submission {mark} of {email}: {len(holding)} versions")
        for sub in db.session.scalars(select(Submission)):
            have = sum(1 for v in versions if v.submission_id == sub.id)
            if have != sub.version_count:
                problems.append(f"submission {sub.id}: version_count {sub.version_count}, "
                                f"{have} versions (half-written)")
        attachments = list(db.session.scalars(select(Attachment)))
        names = Counter(a.filename for a in attachments)
        problems += [f"attachment {n} of {e}: stored {names[n]} times"
                     for n, e in acks.attachments.items() if names[n] != 1]
        s3 = boto3.client("s3", endpoint_url=stack.s3_endpoint, region_name="us-east-1")
        objects = {o["Key"].split("/", 1)[1]: o["Size"] for page in
                   s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
                   for o in page.get("Contents", [])}
        keys = [a.storage_key for a in attachments]
        activities = list(db.session.scalars(select(CeActivity)))
        keys += [a.evidence_key for a in activities if a.evidence_key]
        problems += [f"stored file {k} is not in S3 (half-written)" for k in keys
                     if k not in objects]
        owner = {sub.id: sub.user_id for sub in db.session.scalars(select(Submission))}
        per_uploader = Counter(emails[owner[a.submission_id]] for a in attachments)
        problems += [f"{e}: {per_uploader[e]} attachments for {n} uploads sent"
                     for e, n in acks.uploads_sent.items() if per_uploader[e] > n]

        # peer reviews
        reviews = {r.id: r for r in db.session.scalars(select(PeerReview))}
        problems += [f"review {r} lost" for r in acks.reviews
                     if reviews.get(r) is None or reviews[r].completed_at is None]

        # CE: activities, approvals, the ledger and the service's totals
        titles = Counter(a.title for a in activities)
        problems += [f"activity {t}: stored {titles[t]} times" for t in acks.activities
                     if titles[t] != 1]
        ledger = list(db.session.scalars(select(LedgerEntry)))
        sources = Counter(e.source for e in ledger)  # activity:<id> is unique by itself
        per_holder = Counter((e.user_id, e.source) for e in ledger)
        problems += [f"approval of activity {a}: {sources[f'activity:{a}']} ledger entries"
                     for a in acks.approvals if sources[f"activity:{a}"] != 1]
        problems += [f"ledger entry {s} of {emails[u]} twice"
                     for (u, s), n in per_holder.items() if n > 1]
        jc101 = db.session.scalar(select(Course.id).where(Course.code == "JC-101"))
        finished = {emails[e.user_id] for e in ledger if e.source == f"course:{jc101}"}
        problems += [f"{e}: completed JC-101, no ledger entry" for e in acks.completions
                     if e not in finished]
        approved = {a.id for a in activities if a.status == "approved"}
        problems += [f"activity {a} approved without its ledger entry" for a in approved
                     if sources[f"activity:{a}"] != 1]
        today = clock.now().date()
        holders = {e.user_id for e in ledger} | {a.user_id for a in activities}
        ce_checked = 0
        for uid in sorted(holders):
            record = ce.load_record(db.session.get(User, uid), today)
            entries = ce.effective(e for e in ledger if e.user_id == uid)
            expected = sum((e.hours for e in entries), start=Decimal(0))
            if record.status.progress.total != expected:
                problems.append(f"{emails[uid]}: CE total {record.status.progress.total}, "
                                f"ledger sum {expected}")
            ce_checked += 1

        # posts
        posts = list(db.session.scalars(select(Post)))
        for mark, post_id in acks.posts.items():
            holding = [p for p in posts if mark in p.body]
            if len(holding) != 1 or holding[0].id != post_id:
                problems.append(f"post {mark}: {[p.id for p in holding]} (told {post_id})")

        # credentials
        twice = db.session.execute(select(Credential.credential_id, func.count())
                                   .group_by(Credential.credential_id)
                                   .having(func.count() > 1)).all()
        problems += [f"credential ID {cid} issued {n} times" for cid, n in twice]
        problems += acks.verify_mismatch[:10]
        credentials = db.session.scalar(select(func.count()).select_from(Credential))
        dialect = db.session.execute(text("SELECT version()")).scalar()
        del by_email

    statuses = Counter(str(r.status or "no answer") for r in requests)
    return {
        "problems": problems,
        "requests": len(requests), "seconds": round(seconds, 1), "people": PEOPLE,
        "requests_per_second": round(len(requests) / seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "p95_ms": round(sorted(r.end - r.start for r in requests)[int(len(requests) * .95)]
                        * 1000),
        "faults": per_fault,
        "failed_outside_fault_windows": len(outside),
        "worker_exits_restarted_by_supervisor": run.worker_exits,
        "mails_left_for_the_sweep": swept,
        "database_pre_ping": stack.env.get("DATABASE_PRE_PING", "default"),
        "acknowledged": {"lessons completed": len(acks.progress),
                         "attempts submitted": len(acks.attempts),
                         "case studies submitted": len(acks.submissions),
                         "attachments": len(acks.attachments), "peer reviews": len(acks.reviews),
                         "courses completed by holders": len(acks.completions),
                         "CE activities": len(acks.activities),
                         "approvals": len(acks.approvals), "posts": len(acks.posts),
                         "verifications": acks.verified},
        "checked": {"holders' CE totals": ce_checked, "credentials": credentials,
                    "e-mails delivered": len(messages),
                    "e-mails repeated (same Message-ID)": repeated,
                    "S3 objects": len(objects)},
        "postgresql": dialect.split(",")[0],
    }


def _soon(condition, seconds: float) -> bool:
    """True once `condition()` holds, False if it still does not after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True

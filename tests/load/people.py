"""The simulated people: one journey per person, through the real pages and forms, each
recording in `Acks` only what the site acknowledged (a 2xx page, or a redirect to a 2xx page
with a success message; the API's 2xx JSON). Every created thing carries a unique token."""
from __future__ import annotations

import random
import re
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from tests.load.client import Browser

PASSWORD = "load-test-password"  # noqa: S105 - generated accounts, this test only
PDF = b"%PDF-1.4\n% evidence of a load test\n" + b"0" * 2000
ATTEMPT = re.compile(r"/quiz/attempts/(\d+)")
REVIEW = re.compile(r"/assignments/reviews/(\d+)")
ACTIVITY = re.compile(r"/admin/ce/activities/(\d+)")
VERSIONS = re.compile(r'name="versions" type="hidden" value="(\d*)"')
LEVEL = re.compile(r'name="level-(\d+)" value="(\d+)"')
POST = re.compile(r"#post-(\d+)")


@dataclass
class Site:
    """What the journeys need to know about the seeded site."""

    lessons: list[str]              # JC-101 lesson paths
    quiz: int                       # JC-101 quiz id (untimed)
    quiz_page: str
    exam: int                       # the AP exam's quiz id
    exam_page: str
    assignment: int                 # JC-201's case study
    assignment_page: str
    thread: int                     # a thread on the network board
    credential_ids: list[str]       # the holders' credential IDs
    registrar: str
    last_lesson: str                # JC-101's last lesson: holders finish the course with it


@dataclass
class Acks:
    """What the generator was told succeeded (and what it tried, for the upper bounds)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: set[tuple[str, str]] = field(default_factory=set)  # (email, lesson path)
    attempts: dict[int, str] = field(default_factory=dict)       # attempt id -> email
    starts_sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    submissions: dict[str, str] = field(default_factory=dict)    # token -> email
    attachments: dict[str, str] = field(default_factory=dict)    # file name -> email
    uploads_sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reviews: set[int] = field(default_factory=set)
    activities: dict[str, str] = field(default_factory=dict)     # title token -> email
    approvals: set[int] = field(default_factory=set)             # activity ids
    completions: set[str] = field(default_factory=set)           # holders who finished JC-101
    posts: dict[str, int] = field(default_factory=dict)          # token -> post id
    verified: int = 0
    verify_mismatch: list[str] = field(default_factory=list)

    def add(self, name: str, key, value=None) -> None:
        with self.lock:
            target = getattr(self, name)
            if isinstance(target, set):
                target.add(key)
            else:
                target[key] = value


def token() -> str:
    return uuid.uuid4().hex[:12]


def reader(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    if not b.sign_in(email, PASSWORD):
        return
    b.get("/courses/JC-101")
    for path in rng.sample(site.lessons, 3):
        if not b.get(path).ok:
            continue
        if b.acknowledged(b.post(path + "/complete", {})):
            acks.add("progress", (email, path))


def _take(b: Browser, acks: Acks, email: str, page: str, quiz: int, extra: dict) -> None:
    if not b.sign_in(email, PASSWORD) or not b.get(page).ok:
        return
    with acks.lock:
        acks.starts_sent[email] += 1
    started = b.post(f"/quiz/{quiz}/start", extra)
    found = ATTEMPT.search(started.headers.get("Location", "")) if started.status == 302 else None
    if found is None or not b.get(found.group(0)).ok:
        return
    done = b.post(f"/quiz/attempts/{found.group(1)}/submit", {})
    result = b.follow(done)
    if result is not None and result.ok and not any(k == "error" for k, _ in result.flashes()):
        acks.add("attempts", int(found.group(1)), email)


def quiz_taker(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    _take(b, acks, email, site.quiz_page, site.quiz, {})


def exam_taker(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    _take(b, acks, email, site.exam_page, site.exam, {"honour": "y"})


def case_study(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    if not b.sign_in(email, PASSWORD) or not b.get(site.assignment_page).ok:
        return
    name = f"memo-{token()}.pdf"
    with acks.lock:
        acks.uploads_sent[email] += 1
    if b.acknowledged(b.post_files(f"/assignments/{site.assignment}/files", {"upload": "Attach"},
                                   {"file": (name, PDF, "application/pdf")})):
        acks.add("attachments", name, email)
    page = b.get(site.assignment_page)
    versions = VERSIONS.search(page.text) if page.ok else None
    if versions is None:
        return
    mark = token()
    body = f"Roadmap memo {mark}: we met residents at the library and wrote down what they need."
    if b.acknowledged(b.post(f"/assignments/{site.assignment}/draft",
                             {"body": body, "versions": versions.group(1),
                              "submit": "Submit"})):
        acks.add("submissions", mark, email)


def reviewer(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    """A case-study author comes back for the peer reviews assigned since."""
    if not b.sign_in(email, PASSWORD):
        return
    page = b.get(site.assignment_page)
    for review_id in sorted({int(x) for x in REVIEW.findall(page.text)}) if page.ok else []:
        form = b.get(f"/assignments/reviews/{review_id}")
        if not form.ok or "Send review" not in form.text:
            continue
        levels = {}
        for criterion, level in LEVEL.findall(form.text):
            levels.setdefault(f"level-{criterion}", level)
        if b.acknowledged(b.post(f"/assignments/reviews/{review_id}", {
                **levels, "strength": "Clear phasing of the work.",
                "suggestion": "Name who pays for the second phase.", "send": "Send review"})):
            acks.add("reviews", review_id)


def holder(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    """Finishes JC-101 (its CE hours go to the ledger), then reports two activities."""
    if not b.sign_in(email, PASSWORD) or not b.get(site.last_lesson).ok:
        return
    finished = b.follow(b.post(site.last_lesson + "/complete", {}))
    if finished is not None and finished.ok and "you have completed" in finished.text:
        acks.add("completions", email)
    if not b.get("/ce").ok:
        return
    for _ in range(2):
        if not b.get("/ce/report").ok:
            return
        title = f"Equity circle {token()}"
        if b.acknowledged(b.post_files("/ce/report", {
                "title": title, "provider": "PSE", "completed_on": site_today(),
                "hours": "1.5", "category": "racial-equity", "activity_type": "convening",
                "description": "", "link": "", "submit": "Send for approval"},
                {"evidence": (f"{title}.pdf", PDF, "application/pdf")})):
            acks.add("activities", title, email)


def registrar(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    """Approves every activity waiting in the queue."""
    if not b.sign_in(site.registrar, PASSWORD):
        return
    queue = b.get("/admin/ce")
    for activity in sorted({int(x) for x in ACTIVITY.findall(queue.text)}) if queue.ok else []:
        if b.log.spent or not b.get(f"/admin/ce/activities/{activity}").ok:
            continue
        if b.acknowledged(b.post(f"/admin/ce/activities/{activity}",
                                 {"decision": "approve", "note": "", "submit": "Record"})):
            acks.add("approvals", activity)


def employer(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    """No account: the verification API, one ID then a batch."""
    for cid in rng.sample(site.credential_ids, 2):
        answer = b.get(f"/api/v1/verify/{cid}", Accept="application/json")
        if answer.ok:
            body = answer.json()
            with acks.lock:
                acks.verified += 1
                if body.get("credential_id") != cid or body.get("status") != "active":
                    acks.verify_mismatch.append(f"{cid}: {body}")
    ids = rng.sample(site.credential_ids, 5)
    answer = b.post_json("/api/v1/verify/batch", {"ids": ids})
    if answer.ok:
        results = answer.json()["results"]
        with acks.lock:
            acks.verified += len(ids)
            for cid, result in zip(ids, results, strict=True):
                found = result.get("credential") or {}
                if found.get("credential_id") != cid or found.get("status") != "active":
                    acks.verify_mismatch.append(f"batch {cid}: {result}")


def member(b: Browser, site: Site, acks: Acks, email: str, rng: random.Random) -> None:
    if not b.sign_in(email, PASSWORD):
        return
    for _ in range(2):
        if not b.get(f"/community/threads/{site.thread}?last=1").ok:
            return
        mark = token()
        answer = b.post(f"/community/threads/{site.thread}/reply",
                        {"body": f"Bus shelters on Elm St, reply {mark}."})
        found = POST.search(answer.headers.get("Location", "")) if answer.status == 302 else None
        page = b.follow(answer) if found else None
        if found and page is not None and page.ok:
            acks.add("posts", mark, int(found.group(1)))


_TODAY: list[str] = []


def site_today() -> str:
    return _TODAY[0]


JOURNEYS = {"reader": reader, "quiz": quiz_taker, "exam": exam_taker, "case": case_study,
            "review": reviewer, "holder": holder, "registrar": registrar,
            "employer": employer, "member": member}

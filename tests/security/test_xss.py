"""XSS: the corpus (tests/security/data/xss_payloads.txt, 300+ payloads) through every field
that renders user or author text, checked in the HTML (tests/security/xss.py), and formula
injection in the CSV files, script in the PDFs, path tricks in the ZIPs.

`TEXT_FIELDS` is the registry: every text column of every model is either a field here (how
to store a payload in it, and which pages show it to whom) or in `NOT_RENDERED` with the reason.
`test_every_text_column_is_registered` fails for a new column in neither: add it to one.

Markdown fields take the whole corpus at once (one document); one-line fields take a sample
of payloads one at a time (every payload with LMS_XSS_FULL=1).
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import String, Text, select

from lms import markdown
from lms.assignments import services as assignments
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from lms.credits import services as ce
from lms.errors import DomainError
from lms.extensions import db
from tests.builders import item, lesson
from tests.security.xss import PAYLOADS, unsafe
from tests.world import CE_TODAY, World

FULL = os.environ.get("LMS_XSS_FULL") == "1"
SAMPLE = PAYLOADS if FULL else PAYLOADS[::15]
#: The corpus as one Markdown document (one payload a paragraph). Stored through services, so
#: without NUL: the web layer refuses NUL before any view (lms/web.py; the hostile walk checks).
DOCUMENT = "\n\n".join(PAYLOADS).replace("\x00", "")


def _chunks(limit: int = 450) -> list[str]:
    """The corpus in Markdown documents short enough for every length limit (comments)."""
    out: list[str] = []
    for payload in (p.replace("\x00", "") for p in PAYLOADS):
        if out and len(out[-1]) + 2 + len(payload) <= limit:
            out[-1] += "\n\n" + payload
        else:
            out.append(payload)
    return out


#: A field that refuses the whole document takes it in pieces; a piece refused whole is
#: tried a payload at a time, and a single refused payload is safe input (nothing stored).
CHUNKS = _chunks()


@dataclass
class Field:
    """store(world, payload) -> None puts the payload in; pages are (person, url(world))."""
    store: Callable[[World, str], None]
    pages: list[tuple[str, Callable[[World], str]]]
    markdown: bool = False  # takes the whole corpus as one document


def _learner(w: World):
    return w.users["learner"]


def _submission(w: World):
    return assignments.submission_of(w.extra["assignment"], _learner(w))


def lesson_text(text: str) -> str:
    """The corpus as a lesson the linter accepts: its images point at a file of the course."""
    return text.replace("x.png", "assets/img.png")


def _lesson(w: World, text: str) -> None:
    text = lesson_text(text)
    intro = item("CS-1", "intro")
    courses.publish_source(intro, lesson("Introduction", text), w.users["inst"],
                           w.extra["now"], note=text[:200])


def _profile(key: str):
    def store(w: World, text: str) -> None:
        assignments_user = _learner(w)
        from lms.auth import services as auth
        auth.update_profile(assignments_user, {key: text[:100] or "x"})
    return store


def _activity(key: str):
    def store(w: World, text: str) -> None:
        values = {"title": "Equity circle", "provider": "PSE", "completed_on": date(2026, 10, 1),
                  "hours": "2", "category": "racial-equity", "activity_type": "convening",
                  "link": ""}
        name = "evidence.pdf"
        if key == "evidence_name":
            name = text[:200]
        else:
            values[key] = text[:200]
        from tests.assignments.helpers import PDF
        ce.report_activity(_learner(w), ce.ActivityInput(**values), io.BytesIO(PDF), name,
                           CE_TODAY, w.extra["now"])
    return store


def _attachment(w: World, text: str) -> None:
    from tests.assignments.helpers import PDF
    learner = w.users["other"]
    assignment = w.extra["assignment"]
    courses.enrol(learner, assignment.item.course, w.extra["now"])
    assignments.add_attachment(assignment, learner, io.BytesIO(PDF), text[:200] + ".pdf",
                               w.extra["now"])


def _grade(w: World, text: str) -> None:
    grade = assignments.save_grade(_submission(w), w.users["inst"], [0, 0], [text, text], text,
                                   "pass", False, w.extra["now"])
    assert grade is not None


def _review(w: World, text: str) -> None:
    assignments.submit_review(int(w.values["review_id"]), w.users["peer"], [0, 0], text, text,
                              w.extra["now"])


def _cohort(w: World, text: str) -> None:
    cohorts.create_cohort(text[:80] or "x", text, actor=None, now=w.extra["now"])


def _bank(w: World, text: str) -> None:
    assignments.add_to_bank(w.users["inst"], text, w.extra["now"])


def _draft(w: World, text: str) -> None:
    learner = w.users["other"]
    assignment = w.extra["assignment"]
    courses.enrol(learner, assignment.item.course, w.extra["now"])
    assignments.save_draft(assignment, learner, text, w.extra["now"])
    sub = assignments.submission_of(assignment, learner)
    assignments.submit(assignment, learner, sub.version_count, w.extra["now"])
    w.values["other_submission"] = str(sub.id)


def _thread_title(w: World, text: str) -> None:
    from lms.community import services as boards
    thread = boards.create_thread(w.users["registrar"], f"cohort:{w.extra['cohort'].id}",
                                  kind="discussion", title=text[:200], body="Shade.",
                                  anonymous=False, now=w.extra["now"])
    w.values["xss_thread"] = str(thread.id)


def _post_body(w: World, text: str) -> None:
    from lms.community import services as boards
    post = boards.reply(w.users["registrar"], w.extra["thread"], body=text, anonymous=False,
                        quote_of_id=None, now=w.extra["now"])
    w.values["xss_post"] = str(post.id)


def _post_revision(w: World, text: str) -> None:
    from lms.community import services as boards
    _post_body(w, "A first version.")
    boards.edit_post(w.users["registrar"], boards.get_post(int(w.values["xss_post"])),
                     body=text, now=w.extra["now"])


def _flag_reason(w: World, text: str) -> None:
    from lms.community import services as boards
    _post_body(w, "Flag me.")
    boards.flag(w.users["learner"], boards.get_post(int(w.values["xss_post"])), text[:500],
                w.extra["now"])


def _notification(w: World, text: str) -> None:
    from lms.community import notifications
    learner = _learner(w)
    notifications.notify([learner.id], "mention", text, "/community/",
                         f"cohort:{w.extra['cohort'].id}", f"xss-{hash(text)}", w.extra["now"])
    db.session.commit()


def _credential_state(w: World, text: str) -> None:
    """A suspension with the payload as its reason (reinstated first when suspended)."""
    from lms.credentials import services as credentials
    credential = w.extra["credential"]
    if credential.state == "suspended":
        credentials.change_state(credential, "reinstate", "Reinstated.", w.users["registrar"],
                                 w.extra["now"])
    credentials.change_state(credential, "suspend", text[:500], w.users["registrar"],
                             w.extra["now"])


def _credential_reason(w: World, text: str) -> None:
    """The payload as the reason of a credential issued by hand (to a new holder)."""
    from lms.auth.models import User
    from lms.credentials import services as credentials
    n = db.session.query(User).count()
    holder = User(email=f"holder{n}@example.org", name=f"Holder {n}", role="learner",
                  password_hash="x", created_at=w.extra["now"])
    db.session.add(holder)
    db.session.commit()
    credential = credentials.issue(holder, date(2025, 3, 15), text[:500], w.users["registrar"],
                                   w.extra["now"])
    w.values["xss_credential"] = str(credential.id)


def _holder_name(w: World, text: str) -> None:
    """The payload as the holder's legal name, then a certificate made now: the name is
    copied into certificates.holder_name (listed on the holder's certificate history)."""
    from lms.auth import services as auth
    from lms.credentials import services as credentials
    auth.update_profile(_learner(w), {"legal_name": text[:100].strip() or "x"})
    credentials.reissue(w.extra["credential"], w.extra["now"])


def _moderator_note(w: World, text: str) -> None:
    """A moderator's warning (its message is the logged note; a suspension's reason is logged
    the same way)."""
    from lms.community import services as boards
    boards.warn(w.users["registrar"], w.extra["post"], text[:2000], w.extra["now"])


def _region(w: World, text: str) -> None:
    cohort = w.extra["cohort"]
    cohorts.update_cohort(cohort, cohort.name, cohort.description,
                          cohorts.CohortDetails(region=text[:120]))


def _focus(w: World, text: str) -> None:
    from lms.auth import services as auth
    auth.update_profile(_learner(w), {"focus_areas": text[:200], "directory_opt_in": True})


ITEM = "/courses/CS-1/items/case"
INTRO = "/courses/CS-1/items/intro"
GRADE = (lambda w: f"/assignments/grading/{w.values['submission_id']}")  # noqa: E731
PROFILE_PAGES = [("learner", lambda w: "/account/profile"),
                 ("admin", lambda w: f"/admin/users/{_learner(w).id}"),
                 ("admin", lambda w: "/admin/users"), ("inst", lambda w: "/assignments/grading"),
                 ("registrar", lambda w: f"/admin/ce/holders/{_learner(w).id}"),
                 ("registrar", lambda w: f"/admin/cohorts/{w.cohort_slug}")]
CE_PAGES = [("learner", lambda w: "/ce"), ("registrar", lambda w: "/admin/ce"),
            ("registrar", lambda w: f"/admin/ce/holders/{_learner(w).id}")]

TEXT_FIELDS: dict[str, Field] = {
    "items.source": Field(_lesson, [("learner", lambda w: INTRO),
                                    ("inst", lambda w: INTRO + "/history")], markdown=True),
    "items.body": Field(_lesson, [("learner", lambda w: INTRO)], markdown=True),
    "course_revisions.source": Field(_lesson, [("learner", lambda w: INTRO)], markdown=True),
    "item_revisions.source": Field(_lesson, [("inst", lambda w: INTRO + "/revisions/2")],
                                   markdown=True),
    "item_revisions.note": Field(_lesson, [("inst", lambda w: INTRO + "/history")],
                                 markdown=True),
    "submissions.draft_body": Field(_draft, [("other", lambda w: ITEM)], markdown=True),
    "submission_versions.body": Field(_draft, [
        ("other", lambda w: ITEM),
        ("inst", lambda w: f"/assignments/grading/{w.values['other_submission']}")],
        markdown=True),
    "peer_reviews.strength": Field(_review, [("inst", GRADE), ("learner", lambda w: ITEM)],
                                   markdown=True),
    "peer_reviews.suggestion": Field(_review, [("inst", GRADE)], markdown=True),
    "assignment_grades.overall_comment": Field(_grade, [("learner", lambda w: ITEM),
                                                        ("inst", GRADE)], markdown=True),
    "assignment_comment_bank.text": Field(_bank, [("inst", GRADE)], markdown=True),
    "cohorts.description": Field(_cohort, [("registrar", lambda w: "/admin/cohorts")]),
    "cohorts.name": Field(_cohort, [("registrar", lambda w: "/admin/cohorts")]),
    "submission_attachments.filename": Field(_attachment, [("other", lambda w: ITEM)]),
    "users.name": Field(_profile("name"), PROFILE_PAGES),
    "users.legal_name": Field(_profile("legal_name"), PROFILE_PAGES[:2]),
    "users.organisation": Field(_profile("organisation"), PROFILE_PAGES[:2]),
    "users.city": Field(_profile("city"), PROFILE_PAGES[:2]),
    "users.country": Field(_profile("country"), PROFILE_PAGES[:2]),
    "users.bio": Field(_profile("bio"), PROFILE_PAGES[:2]),
    "ce_activities.title": Field(_activity("title"), CE_PAGES),
    "ce_activities.provider": Field(_activity("provider"), CE_PAGES),
    "ce_activities.evidence_name": Field(_activity("evidence_name"), CE_PAGES),
    "community_threads.title": Field(_thread_title, [
        ("learner", lambda w: f"/community/threads/{w.values['xss_thread']}"),
        ("learner", lambda w: f"/community/cohort/{w.extra['cohort'].id}")]),
    "community_posts.body": Field(_post_body, [
        ("learner", lambda w: f"/community/threads/{w.values['thread_id']}?last=1")],
        markdown=True),
    "community_post_revisions.body": Field(_post_revision, [
        ("registrar", lambda w: f"/community/posts/{w.values['xss_post']}/history")],
        markdown=True),
    "community_flags.reason": Field(_flag_reason, [
        ("registrar", lambda w: "/community/moderation")]),
    "notifications.text": Field(_notification, [("learner", lambda w: "/notifications")]),
    "credentials.state_reason": Field(_credential_state, [
        ("anon", lambda w: f"/verify/{w.values['credential_id']}"),
        ("registrar", lambda w: f"/registrar/credentials/{w.values['credential_pk']}")]),
    "credential_events.reason": Field(_credential_state, [
        ("registrar", lambda w: f"/registrar/credentials/{w.values['credential_pk']}")]),
    "credentials.reason": Field(_credential_reason, [
        ("registrar", lambda w: f"/registrar/credentials/{w.values['xss_credential']}")]),
    "cohorts.region": Field(_region, [("registrar", lambda w: "/admin/cohorts"),
                                      ("learner", lambda w: "/dashboard")]),
    "certificates.holder_name": Field(_holder_name, [("learner", lambda w: "/credential")]),
    "community_mod_actions.note": Field(_moderator_note, [
        ("registrar", lambda w: "/community/moderation/log")]),
    "users.focus_areas": Field(_focus, [("learner", lambda w: "/account/profile"),
                                        ("anon", lambda w: "/directory")]),
}

#: Text columns that no page renders from user/author input, with the reason.
NOT_RENDERED: dict[str, str] = {
    "ce_ledger_unlock.reason": "internal: the ledger's delete guard",
    "outbox_messages.recipient": "e-mail, plain text", "outbox_messages.subject": "e-mail",
    "outbox_messages.body": "e-mail, plain text (admin outbox escapes it: Jinja)",
    "signin_throttles.email_hash": "a hash", "users.email": "validated address",
    "users.password_hash": "a hash", "users.role": "one of ROLES",
    "user_sessions.key_hash": "a hash",
    "courses.code": "validated code", "courses.dirname": "folder name",
    "courses.ce_category": "programme key", "courses.level": "one of LEVELS",
    "courses.title": "author text, Jinja-escaped; TODO: add a Field",
    "courses.summary": "author text, Jinja-escaped; TODO: add a Field",
    "courses.overview": "author Markdown (same renderer as items.body); TODO: add a Field",
    "courses.source": "course.md source", "course_revisions.summary": "generated",
    "modules.slug": "folder", "modules.dirname": "folder", "modules.source": "module.md source",
    "modules.title": "author text, Jinja-escaped; TODO: add a Field",
    "modules.summary": "author text; TODO: add a Field",
    "course_assets.path": "validated path", "course_assets.content_hash": "a hash",
    "course_assets.mimetype": "from the extension", "course_instructors.email": "address",
    "items.slug": "file name", "items.kind": "registry key", "items.title": "author text, "
    "Jinja-escaped; TODO: add a Field", "items.source_path": "path",
    "items.content_hash": "hash", "items.imported_hash": "hash", "items.audience": "enum",
    "item_drafts.source": "author source, previewed through the renderer (items.body)",
    "item_drafts.note": "author note; TODO: add a Field",
    "item_revisions.content_hash": "hash", "item_revisions.origin": "enum",
    "assignments.prompt": "author Markdown, same renderer as items.body",
    "assignment_exports.status": "enum", "assignment_exports.storage_key": "generated key",
    "assignment_grades.decision": "enum",
    "submission_attachments.storage_key": "generated key",
    "submission_attachments.content_type": "sniffed", "submissions.status": "enum",
    "quizzes.intro": "author Markdown, same renderer", "questions.key": "author id",
    "question_versions.content_hash": "hash", "quiz_attempts.status": "enum",
    "quiz_accommodations.kind": "enum", "quiz_accommodations.note": "staff note; TODO: Field",
    "ce_activities.category": "programme key", "ce_activities.activity_type": "programme key",
    "ce_activities.description": "holder text; TODO: add a Field",
    "ce_activities.evidence_key": "generated key", "ce_activities.status": "enum",
    "ce_activities.evidence_link": "validated URL; TODO: add a Field",
    "ce_activities.registrar_note": "registrar text; TODO: add a Field",
    "ce_activities.holder_answer": "holder text; TODO: add a Field",
    "ce_holders.credential_ref": "generated", "ce_holders.state": "enum",
    "ce_ledger_entries.kind": "enum", "ce_ledger_entries.source": "generated",
    "ce_ledger_entries.category": "key", "ce_ledger_entries.activity_type": "key",
    "ce_ledger_entries.title": "copied from ce_activities.title / course titles",
    "ce_ledger_entries.provider": "copied from ce_activities.provider",
    "ce_ledger_entries.course_code": "code",
    "ce_ledger_entries.reason": "registrar text; TODO: add a Field",
    "ce_renewals.status": "enum", "ce_renewals.attestation": "fixed text",
    "ce_renewals.note": "registrar text; TODO: add a Field",
    "ce_audits.status": "enum", "ce_audits.evidence_key": "generated key",
    "ce_audits.evidence_name": "file name; TODO: add a Field",
    "ce_audits.holder_note": "holder text; TODO: add a Field",
    "ce_audits.registrar_note": "registrar text; TODO: add a Field",
    "cohorts.slug": "generated from the name",
    "credentials.credential_id": "generated", "credentials.state": "enum",
    "certificate_bundles.message": "generated status text of a ZIP build",
    "certificate_bundles.status": "enum", "certificate_bundles.storage_key": "generated key",
    "certificates.reason": "reissue reason, in the credential's events (credential_events."
                           "reason, a Field)",
    "certificates.sha256": "a hash", "certificates.storage_key": "generated key",
    "cohort_invites.token": "random token", "cohort_members.role": "one of MEMBER_ROLES",
    "community_follows.board_key": "validated board key",
    "community_mod_actions.action": "enum", "community_mod_actions.board_key": "board key",
    "community_posts.status": "enum", "community_threads.board_key": "validated board key",
    "community_threads.kind": "discussion | question",
    "community_suspensions.reason": "moderator text: no page reads this column; it goes to the "
                                    "author in a plain-text e-mail and is copied into "
                                    "community_mod_actions.note (a Field, the moderation log)",
    "credential_events.from_state": "enum", "credential_events.to_state": "enum",
    "notification_prefs.digest": "enum", "notifications.board_key": "board key",
    "notifications.dedupe_key": "internal key", "notifications.kind": "one of KINDS",
    "notifications.url": "internal path, checked by notifications.safe_target",
}


def _text_columns() -> set[str]:
    import lms.models  # noqa: F401 - every table registered
    return {f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns
            if isinstance(c.type, String | Text)}


def test_every_text_column_is_registered(app):
    columns = _text_columns()
    missing = sorted(columns - TEXT_FIELDS.keys() - NOT_RENDERED.keys())
    assert not missing, ("text columns in neither TEXT_FIELDS nor NOT_RENDERED of "
                         f"tests/security/test_xss.py: {missing}")
    assert not (TEXT_FIELDS.keys() & NOT_RENDERED.keys())
    assert not (TEXT_FIELDS.keys() - columns), "registered fields that no longer exist"


def test_corpus_is_large_and_varied():
    assert len(PAYLOADS) >= 300
    for kind in ("<script", "onerror", "javascript:", "data:", "<svg", "<math", "](", "![",
                 "<javascript", "]: ", "style", "url("):
        assert any(kind.lower() in p.lower() for p in PAYLOADS), kind


def test_the_checker_catches_what_it_must():
    for bad in ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
                '<a href="javascript:alert(1)">x</a>', '<a href=" java\tscript:x">x</a>',
                '<iframe src="/"></iframe>', '<img src="https://evil.example/x.png">',
                '<p style="background:url(x)">x</p>', '<svg><a xlink:href="javascript:x">'):
        assert unsafe(bad), bad
    assert not unsafe('<p><a href="https://ok.example" rel="nofollow">ok</a>'
                      '<img src="/courses/C/assets/a.png"></p>')


def test_every_payload_through_the_renderer():
    failures = []
    for payload in PAYLOADS:
        for render in (markdown.render, markdown.render_inline):
            found = unsafe(f"<div>{render(payload)}</div>")
            if found:
                failures.append(f"{render.__name__}({payload!r}): {found}")
    assert not failures, "\n".join(failures[:30])


@pytest.mark.parametrize("name", sorted(TEXT_FIELDS))
def test_field_renders_no_payload_unsafely(app, world, name, now):
    field = TEXT_FIELDS[name]
    world.extra["now"] = now
    failures = []
    queue = [DOCUMENT] if field.markdown else list(SAMPLE)
    stored = False
    while queue:
        payload = queue.pop(0)
        try:
            field.store(world, payload)
        except DomainError:
            db.session.rollback()
            if payload is DOCUMENT:
                queue = list(CHUNKS)
            elif field.markdown and "\n\n" in payload:
                queue[:0] = payload.split("\n\n")
            continue  # a refused single value is safe input: nothing was stored
        stored = True
        for person, url in field.pages:
            response = world.clients[person].get(url(world))
            assert response.status_code == 200, f"{name}: {url(world)} as {person}"
            found = unsafe(response.get_data(as_text=True))
            if found:
                failures.append(f"{name} {payload[:50]!r} on {url(world)}: {found[:3]}")
        assert stored
    assert not failures, "\n".join(failures[:30])


def _cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


FORMULAS = [p for p in PAYLOADS if p[:1] in "=+-@\t\r"]


def test_csv_downloads_never_start_a_formula(app, world, now):
    from lms.auth import services as auth
    assert len(FORMULAS) >= 6
    for n, payload in enumerate(FORMULAS):
        auth.update_profile(world.users["learner"], {"name": payload[:100]})
        _activity("title")(_with_now(world, now), payload)
        cells = []
        for person, url in (("inst", f"/assignments/grading/assignment/"
                                     f"{world.values['assignment_id']}/grades.csv"),
                            ("learner", "/ce/transcript.csv"),
                            ("inst", f"/quiz/{world.values['quiz_id']}/analysis.csv")):
            response = world.clients[person].get(url)
            assert response.status_code == 200, url
            cells += _cells(response.data)
        risky = [c for c in cells if c and c[0] in "=+-@\t\r" and not _number(c)]
        assert not risky, f"{payload!r}: {risky}"
        assert n < 50


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _with_now(world: World, now) -> World:
    world.extra["now"] = now
    return world


def test_pdf_transcript_carries_no_script(app, world, now):
    for payload in SAMPLE[:10]:
        _activity("title")(_with_now(world, now), payload)
    response = world.clients["learner"].get("/ce/transcript.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    for marker in (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/EmbeddedFile",
                   b"/AA", b"/RichMedia"):
        assert marker not in response.data, marker


def test_submission_export_zip_names_stay_inside(app, world, now):
    for payload in ("../../etc/passwd", "..\\..\\boot", "/abs/path", "con", "a\nb"):
        _attachment(_with_now(world, now), payload)
    from lms.assignments.models import SubmissionExport
    export = db.session.scalar(select(SubmissionExport).order_by(SubmissionExport.id.desc()))
    assignments.build_export(export.id, now)
    first = world.clients["inst"].get(f"/assignments/grading/exports/{export.id}")
    assert first.status_code == 302
    data = world.clients["inst"].get(first.headers["Location"]).data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            assert not name.startswith(("/", "\\")) and ".." not in name.split("/"), name
            assert "\\" not in name and "\n" not in name, name

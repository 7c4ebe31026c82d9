"""Demo discussions (``flask --app wsgi demo``): lively network boards in every category, the
JC-101 course board with an answered question, the autumn cohort's private board, a flagged
post waiting in the moderation queue and unread threads for the demo learner (Maya).

Idempotent: nothing is added once the boards have any thread. All text is our own, written in
the programme's spirit; the people and places are the demo's fictional ones.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from lms.auth.models import User
from lms.cohorts.models import Cohort
from lms.community import services
from lms.community.models import Thread
from lms.community.rules import handle
from lms.community.visibility import viewer_for
from lms.courses.models import Course
from lms.extensions import db

# (board, author e-mail, kind, title, body, [(author e-mail, reply)], anonymous)
NETWORK = [
    ("introductions", "kwame.mensah@example.org", "discussion",
     "Hello from Accra: flood-prone settlements and resident data",
     "I work with Accra Urban Futures on informal settlements along the Odaw. We train "
     "residents to map drains and flood depths themselves. Glad to meet others doing "
     "community-owned data.",
     [("sofia.martins@example.org", "Welcome Kwame! In Recife we do something similar with "
       "the *canal* communities. Happy to compare survey forms."),
      ("grace.liu@example.org", "Welcome! Your mapping work sounds like a great case for the "
       "shared measurement part of collective impact.")]),
    ("introductions", "naledi.dlamini@example.org", "discussion",
     "Naledi, Durban: neighbourhood forums and heat",
     "I coordinate the Ubuntu Neighbourhood Forum. This year we focus on heat in informal "
     "housing. Looking for peers who have run cooling-centre pilots.",
     [("aisha.khan@example.org", "Hi Naledi, Birmingham ran a library-as-cooling-centre pilot "
       "last summer. I'll post what we learned in Climate Resilience.")]),
    ("racial-equity", "hannah.cohen@example.org", "question",
     "How do you disaggregate outcome data without exposing small groups?",
     "Our indicators improve on average but we suspect gaps by race and tenure. When we "
     "disaggregate, some groups are five households. How do you report honestly and safely?",
     [("priya.raman@example.org", "We publish ranges rather than counts under ten, and we "
       "report to the residents first, before any public dashboard."),
      ("instructor@example.org", "Both good practices. Add a written data agreement with the "
       "residents' organisation: who may see what, and for how long.")]),
    ("racial-equity", "marcus.webb@example.org", "discussion",
     "Community benefit agreements that actually got enforced",
     "As a developer I have signed CBAs that were never monitored. What made enforcement "
     "real where you work: a monitoring committee, escrow, something else?",
     [("tom.becker@example.org", "Our co-op insisted on a resident seat on the monitoring "
       "committee with a budget for an independent auditor.")]),
    ("climate-resilience", "aisha.khan@example.org", "discussion",
     "What we learned from the library cooling-centre pilot",
     "Three lessons: open late (heat peaks after work), bring water and phone charging, and "
     "let the tenants' association run the door. Attendance tripled once residents ran it.",
     [("naledi.dlamini@example.org", "Thank you, the point about residents running the door "
       "is exactly what our forum argued for."),
      ("luis.ortega@example.org", "Did you add bus service in the evening? Transit to cooling "
       "centres was our gap.")]),
    ("belonging", "sofia.martins@example.org", "discussion",
     "Keeping long-time residents in the room as a district changes",
     "When new housing arrives, the meetings fill with newcomers. We now hold every second "
     "meeting in the old market, in Portuguese first. How do others protect belonging?",
     []),
    ("opportunity", "daniel.reyes@example.org", "question",
     "Local hiring targets: percentage of hours or of workers?",
     "Our city is drafting a local hire rule for district projects. Which measure held up "
     "better in practice?",
     [("elena.popescu@example.org", "Hours. Worker counts were met with short stints; hours "
       "reflect real jobs.")]),
    ("wellbeing", "priya.raman@example.org", "discussion",
     "Shade, water and rest: a street audit checklist",
     "We walk each street at 3 pm in May with residents and score shade, drinking water and "
     "places to sit. The checklist is two pages; happy to share it.", []),
    ("mobility", "luis.ortega@example.org", "discussion",
     "Fare-free buses in one district: early numbers",
     "Ridership is up a fifth in six months, mostly midday trips by older residents. We are "
     "still measuring whether car trips fell.", []),
    ("environment", "tom.becker@example.org", "discussion",
     "Soil testing before community gardens",
     "Our co-op found lead near an old rail yard. We now test every plot before planting and "
     "publish the results in plain language.", []),
    ("jobs", "grace.liu@example.org", "discussion",
     "Hiring: community engagement lead (Vancouver, hybrid)",
     "Harbourline is hiring someone to lead engagement on a waterfront district plan. "
     "Lived experience in the neighbourhood counts as much as a degree.", []),
    ("events", "registrar@example.org", "discussion",
     "Practitioner circle: neighbourhood-scale heat plans (online)",
     "Our next circle compares three heat plans written with residents. It counts towards "
     "CE as a PSE convening. Bring one question from your own work.", []),
]

COURSE_QUESTION = (
    "What exactly is a backbone organisation?",
    "The lesson on collective impact mentions a backbone organisation. Is that the city, or "
    "someone else? Who pays for it?")
COURSE_ANSWER = (
    "daniel.reyes@example.org",
    "In our district it is a non-profit that convenes the partners, keeps the shared data and "
    "the calendar. The city funds part of it, foundations the rest. It does not own the "
    "decisions: the governing body does.")
COHORT_THREAD = (
    "Study group before the module 2 quiz",
    "Shall we meet on Thursday evening to go through the Commitments together? I can host a "
    "call. @{grace} you mentioned you had notes on Wellbeing.")
COHORT_REPLIES = [
    ("grace.liu@example.org", "Yes! Thursday works. @{maya} I'll bring the notes and a "
     "worked example from our waterfront plan."),
    ("aisha.khan@example.org", "Count me in. Could we also cover how the indicators link "
     "to the objectives?"),
]
FLAGGED = ("marcus.webb@example.org",
           "Honestly, residents slow everything down. Just build and consult afterwards.",
           "priya.raman@example.org",
           "Dismissive of residents' participation; against the board's guidelines.")


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def seed_boards(now: datetime) -> None:
    if db.session.scalar(select(Thread.id).limit(1)) is not None:
        return
    config = current_app.config
    saved = config["COMMUNITY_NEW_ACCOUNT_DAYS"]
    config["COMMUNITY_NEW_ACCOUNT_DAYS"] = 0  # the demo's accounts are all new; no post limit
    try:
        _seed(now)
    finally:
        config["COMMUNITY_NEW_ACCOUNT_DAYS"] = saved


def _seed(now: datetime) -> None:
    start = now - timedelta(days=10)
    for index, (slug, author, kind, title, body, replies) in enumerate(NETWORK):
        when = start + timedelta(hours=17 * index)
        thread = services.create_thread(_user(author), f"network:{slug}", kind=kind,
                                        title=title, body=body, anonymous=False, now=when)
        for offset, (who, text) in enumerate(replies, start=1):
            post = services.reply(_user(who), thread, body=text, anonymous=False,
                                  quote_of_id=None, now=when + timedelta(hours=3 * offset))
            if kind == "question" and offset == len(replies) and who.startswith("instructor"):
                services.accept(_user(author), post, when + timedelta(hours=3 * offset + 1))
    maya = _user("learner@example.org")
    instructor = _user("instructor@example.org")
    jc101 = db.session.scalar(select(Course).where(Course.code == "JC-101"))
    if jc101 is not None:
        key = f"course:{jc101.id}"
        q = services.create_thread(maya, key, kind="question", title=COURSE_QUESTION[0],
                                   body=COURSE_QUESTION[1], anonymous=True,
                                   now=now - timedelta(days=4))
        answer = services.reply(_user(COURSE_ANSWER[0]), q, body=COURSE_ANSWER[1],
                                anonymous=False, quote_of_id=None,
                                now=now - timedelta(days=3, hours=20))
        services.endorse(instructor, answer, now - timedelta(days=3, hours=10))
        services.accept(maya, answer, now - timedelta(days=3, hours=9))
        services.create_thread(
            instructor, key, kind="discussion", title="Welcome to the JC-101 board",
            body="Ask questions about any lesson here. Link a lesson (copy its address) and it "
                 "shows as a card. Be generous with each other: we all learn in public.",
            anonymous=False, now=now - timedelta(days=9))
        welcome = db.session.scalar(select(Thread).where(Thread.board_key == key,
                                                         Thread.kind == "discussion"))
        if welcome is not None:
            services.set_thread_flag(instructor, welcome, "pin", True, now - timedelta(days=9))
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == "autumn-2026-intake"))
    if cohort is not None:
        grace = _user("grace.liu@example.org")
        key = f"cohort:{cohort.id}"
        title, body = COHORT_THREAD
        thread = services.create_thread(
            maya, key, kind="discussion", title=title,
            body=body.format(grace=handle(grace.name, grace.id)), anonymous=False,
            now=now - timedelta(days=2))
        for offset, (who, text) in enumerate(COHORT_REPLIES, start=1):
            services.reply(_user(who), thread, body=text.format(maya=handle(maya.name, maya.id)),
                           anonymous=False, quote_of_id=None,
                           now=now - timedelta(days=2) + timedelta(hours=offset * 5))
    # A flagged reply waits in the moderation queue.
    cbas = db.session.scalar(select(Thread).where(Thread.title.like("Community benefit%")))
    if cbas is not None:
        author, text, flagger, reason = FLAGGED
        post = services.reply(_user(author), cbas, body=text, anonymous=False,
                              quote_of_id=None, now=now - timedelta(hours=6))
        services.flag(_user(flagger), post, reason, now - timedelta(hours=5))
    # Maya has read the older network threads; the newer ones (and replies) stay unread.
    maya_viewer = viewer_for(maya)
    for thread in db.session.scalars(select(Thread).where(
            Thread.board_key.like("network:%"), Thread.created_at < start + timedelta(days=3))
            .order_by(Thread.id)).all():
        services.read_thread(maya_viewer, thread, page=1, now=start + timedelta(days=3))

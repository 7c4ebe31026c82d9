"""Cohorts grown up: course, region, dates, facilitators, invitation links, the dashboard."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.cohorts import services
from lms.cohorts.models import CohortInvite, CohortMember
from lms.courses.models import Course
from lms.errors import NotFound, ValidationError
from lms.extensions import db
from tests.builders import client_for, count, text_of


def make_course(now, code="JC-101", title="Foundations") -> Course:
    course = Course(code=code, title=title, dirname=code.lower(), created_at=now, updated_at=now)
    db.session.add(course)
    db.session.commit()
    return course


def test_a_cohort_has_a_course_region_and_dates(app, now):
    course = make_course(now)
    details = services.CohortDetails(course.id, "  Atlanta   metro ", date(2027, 1, 10),
                                     date(2027, 6, 30))
    cohort = services.create_cohort("Spring 2027", "", actor=None, now=now, details=details)
    assert (cohort.course_id, cohort.region, cohort.starts_on, cohort.ends_on) == (
        course.id, "Atlanta metro", date(2027, 1, 10), date(2027, 6, 30))
    with pytest.raises(ValidationError, match="end before it starts"):
        services.update_cohort(cohort, "Spring 2027", "", services.CohortDetails(
            None, "", date(2027, 6, 30), date(2027, 1, 10)))
    with pytest.raises(ValidationError, match="course does not exist"):
        services.update_cohort(cohort, "Spring 2027", "", services.CohortDetails(course.id + 99))
    services.update_cohort(cohort, "Spring 2027", "", services.CohortDetails())
    assert cohort.course_id is None  # the whole programme


def test_facilitators_are_members_with_a_role(app, make_user, now):
    ana, ben = make_user(email="ana@example.org"), make_user("instructor", email="ben@example.org")
    one = services.create_cohort("One", "", actor=None, now=now)
    two = services.create_cohort("Two", "", actor=None, now=now)
    services.add_members(one, "ana@example.org", now=now)
    services.add_members(one, "ben@example.org", now=now, role="facilitator")
    services.add_members(two, "ana@example.org ben@example.org", now=now)
    assert services.member_cohort_ids(ana.id) == {one.id, two.id}
    assert services.facilitator_cohort_ids(ben.id) == {one.id}
    assert services.facilitator_cohort_ids(ana.id) == set()
    services.set_role(two, ana.id, "facilitator")
    assert services.facilitator_cohort_ids(ana.id) == {two.id}
    with pytest.raises(ValidationError):
        services.set_role(two, ana.id, "boss")
    # adding an existing member as facilitator promotes them
    services.add_members(one, "ana@example.org", now=now, role="facilitator")
    assert services.facilitator_cohort_ids(ana.id) == {one.id, two.id}


def test_an_invitation_link_lets_a_signed_in_person_join_until_it_expires(app, make_user, now):
    ana, ben = make_user(), make_user()
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    invite = services.create_invite(cohort, actor=None, now=now, days=7)
    assert invite.expires_at == now + timedelta(days=7) and len(invite.token) >= 32
    assert services.join_by_invite(invite.token, ana, now) == (cohort, True)
    assert services.join_by_invite(invite.token, ana, now) == (cohort, False)
    assert db.session.get(CohortInvite, invite.id).uses == 1
    with pytest.raises(services.InviteClosed, match="expired on"):
        services.join_by_invite(invite.token, ben, now + timedelta(days=7))
    assert services.member_cohort_ids(ben.id) == set()


def test_a_revoked_link_says_so_and_adds_nobody(app, make_user, now):
    ana = make_user()
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    invite = services.create_invite(cohort, actor=None, now=now)
    services.revoke_invite(cohort, invite.id, now + timedelta(hours=1))
    services.revoke_invite(cohort, invite.id, now + timedelta(hours=2))  # keeps the first
    assert db.session.get(CohortInvite, invite.id).revoked_at == now + timedelta(hours=1)
    with pytest.raises(services.InviteClosed, match="withdrawn"):
        services.join_by_invite(invite.token, ana, now + timedelta(hours=3))
    with pytest.raises(NotFound):
        services.join_by_invite("not-a-token", ana, now)
    other = services.create_cohort("Other", "", actor=None, now=now)
    with pytest.raises(NotFound):
        services.revoke_invite(other, invite.id, now)
    with pytest.raises(ValidationError):
        services.create_invite(cohort, actor=None, now=now, days=0)
    assert count(CohortMember) == 0


# --------------------------------------------------------------------------- pages


def test_staff_set_details_make_links_and_facilitators(app, client, make_user, sign_in, now):
    course = make_course(now)
    ana = make_user(email="ana@example.org", name="Ana Alvarez")
    make_user("instructor", email="ian@example.org", name="Ian Ito")
    sign_in(client, make_user("registrar"))
    r = client.post("/admin/cohorts", data={
        "name": "Spring 2027", "course_id": str(course.id), "region": "Atlanta metro",
        "starts_on": "2027-01-10", "ends_on": "2027-06-30"}, follow_redirects=True)
    page = text_of(r)
    assert "JC-101: Foundations" in page and "Atlanta metro" in page and "10 Jan 2027" in page
    r = client.post("/admin/cohorts", data={"name": "Bad", "course_id": "999999"})
    assert r.status_code == 200 and "Not a valid choice" in text_of(r)
    r = client.post("/admin/cohorts", data={"name": "Bad", "starts_on": "2027-02-01",
                                            "ends_on": "2027-01-01"})
    assert "cannot end before it starts" in text_of(r)

    client.post("/admin/cohorts/spring-2027/members",
                data={"add-emails": "ian@example.org", "add-facilitators": "y"})
    client.post("/admin/cohorts/spring-2027/members", data={"add-emails": "ana@example.org"})
    r = client.post(f"/admin/cohorts/spring-2027/members/{ana.id}/role",
                    data={"role": "facilitator"}, follow_redirects=True)
    assert "Ana Alvarez is now a facilitator" in text_of(r)
    assert client.post(f"/admin/cohorts/spring-2027/members/{ana.id}/role",
                       data={"role": "x"}).status_code == 302
    assert services.facilitator_cohort_ids(ana.id) != set()

    r = client.post("/admin/cohorts/spring-2027/invites", data={"invite-days": "0"})
    assert r.status_code == 400
    r = client.post("/admin/cohorts/spring-2027/invites", data={"invite-days": "10"},
                    follow_redirects=True)
    invite = db.session.scalar(db.select(CohortInvite))
    assert f"/cohorts/join/{invite.token}" in text_of(r) and "Open" in text_of(r)
    r = client.post(f"/admin/cohorts/spring-2027/invites/{invite.id}/revoke",
                    follow_redirects=True)
    assert "Withdrawn" in text_of(r)


def test_joining_by_link_needs_sign_in_and_shows_the_cohort_on_the_dashboard(
        app, make_user, sign_in, now):
    course = make_course(now)
    cohort = services.create_cohort("Spring 2027", "", actor=None, now=now,
                                    details=services.CohortDetails(course.id, "Atlanta metro"))
    make_user("instructor", email="ian@example.org", name="Ian Ito")
    services.add_members(cohort, "ian@example.org", now=now, role="facilitator")
    invite = services.create_invite(cohort, actor=None, now=now)
    url = f"/cohorts/join/{invite.token}"

    anonymous = client_for(app, sign_in)
    page = text_of(anonymous.get(url))
    assert "Join Spring 2027" in page and "Sign in to join" in page
    r = anonymous.post(url)
    assert r.status_code == 302 and "/account/signin" in r.headers["Location"]

    learner = make_user(name="Lee Learner")
    client = client_for(app, sign_in, learner)
    assert "<button type=\"submit\">Join Spring 2027</button>" in text_of(client.get(url))
    assert client.get(url).status_code == 200 and count(CohortMember) == 1  # no write on GET
    r = client.post(url, follow_redirects=True)
    page = text_of(r)
    assert "You joined" in page and "My cohorts" in page and "Atlanta metro" in page
    assert "Ian Ito" in page and "JC-101: Foundations" in page
    assert "already a member" in text_of(client.get(url))


@pytest.mark.parametrize("state, status, words", [("revoked", 410, "was withdrawn"),
                                                  ("expired", 410, "expired on"),
                                                  ("unknown", 404, "not valid")])
def test_a_closed_or_unknown_link_says_so(app, make_user, sign_in, now, state, status, words):
    cohort = services.create_cohort("Spring 2027", "", actor=None, now=now)
    invite = services.create_invite(cohort, actor=None, now=now, days=1)
    token = invite.token
    if state == "revoked":
        services.revoke_invite(cohort, invite.id, now)
    elif state == "expired":
        app.config["FROZEN_NOW"] = now + timedelta(days=2)
    else:
        token = "x" * 20
    client = client_for(app, sign_in, make_user())
    r = client.get(f"/cohorts/join/{token}")
    assert r.status_code == status and words in text_of(r)
    r = client.post(f"/cohorts/join/{token}")
    assert r.status_code == status and words in text_of(r)
    assert count(CohortMember) == 0


def test_dashboard_cohorts_take_constant_queries(app, make_user, sign_in, now, count_queries):
    learner = make_user(email="lee@example.org")
    client = client_for(app, sign_in, learner)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/dashboard").status_code == 200
        return counter.count

    def add_cohort(n: int) -> None:
        course = make_course(now, code=f"C-{n}")
        cohort = services.create_cohort(f"C{n}", "", actor=None, now=now,
                                        details=services.CohortDetails(course.id))
        services.add_members(cohort, "lee@example.org", now=now)
        fac = make_user("instructor")
        services.add_members(cohort, fac.email, now=now, role="facilitator")

    add_cohort(0)
    one = queries()
    for n in range(1, 5):
        add_cohort(n)
    assert queries() == one

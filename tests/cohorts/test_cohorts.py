"""Cohorts: the rules (services) and the staff pages that manage them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.cohorts import services
from lms.cohorts.models import Cohort, CohortMember
from lms.errors import Conflict, NotFound, ValidationError
from lms.extensions import db
from tests.builders import count


def member_emails(cohort: Cohort) -> list[str]:
    return [m.user.email for m in services.members(cohort)]


# --------------------------------------------------------------------------- services


def test_create_cohort_makes_a_slug_and_refuses_a_duplicate_name(app, make_user, now):
    staff = make_user("registrar")
    cohort = services.create_cohort("  Spring 2027   intake ", "First group", actor=staff, now=now)
    assert (cohort.name, cohort.slug, cohort.description) == ("Spring 2027 intake",
                                                              "spring-2027-intake", "First group")
    assert cohort.created_by_id == staff.id and cohort.created_at == now
    with pytest.raises(Conflict, match="already exists"):
        services.create_cohort("spring 2027 INTAKE", "", actor=staff, now=now)
    with pytest.raises(ValidationError, match="name"):
        services.create_cohort("   ", "", actor=staff, now=now)
    with pytest.raises(ValidationError, match="letter or digit"):
        services.create_cohort("!!!", "", actor=staff, now=now)
    assert count(Cohort) == 1


def test_add_members_by_email_reports_those_already_in(app, make_user, now):
    a, b, c = (make_user(email=f"{n}@example.org", name=n.title()) for n in ("ana", "ben", "cy"))
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    added, already = services.add_members(
        cohort, "ANA@example.org\nben@example.org, ana@example.org", now=now)
    assert [u.email for u in added] == ["ana@example.org", "ben@example.org"] and already == []
    added, already = services.add_members(cohort, "ben@example.org; cy@example.org", now=now)
    assert [u.email for u in added] == ["cy@example.org"] and [u.email for u in already] == [
        "ben@example.org"]
    assert member_emails(cohort) == ["ana@example.org", "ben@example.org", "cy@example.org"]


def test_an_unknown_address_refuses_the_whole_list(app, make_user, now):
    make_user(email="ana@example.org")
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    with pytest.raises(ValidationError, match="nobody@example.org, typo@example"):
        services.add_members(cohort, "ana@example.org\nnobody@example.org\ntypo@example", now=now)
    assert count(CohortMember) == 0
    with pytest.raises(ValidationError, match="not e-mail addresses: not, an"):
        services.add_members(cohort, "ana@example.org not an", now=now)
    assert count(CohortMember) == 0
    with pytest.raises(ValidationError, match="at least one"):
        services.add_members(cohort, " \n ,", now=now)


def test_remove_member_and_delete_cohort_keep_the_accounts(app, make_user, now):
    ana = make_user(email="ana@example.org")
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    services.add_members(cohort, "ana@example.org", now=now)
    assert services.remove_member(cohort, ana.id).id == ana.id
    with pytest.raises(NotFound):
        services.remove_member(cohort, ana.id)
    services.add_members(cohort, "ana@example.org", now=now)
    services.delete_cohort(cohort)
    assert count(Cohort) == 0 and count(CohortMember) == 0
    assert db.session.get(type(ana), ana.id) is not None


def test_rename_keeps_members_and_checks_uniqueness(app, make_user, now):
    make_user(email="ana@example.org")
    one = services.create_cohort("One", "", actor=None, now=now)
    services.create_cohort("Two", "", actor=None, now=now)
    services.add_members(one, "ana@example.org", now=now)
    with pytest.raises(Conflict):
        services.update_cohort(one, "two", "")
    assert db.session.get(Cohort, one.id).name == "One"
    services.update_cohort(one, "Number one", "Renamed")
    assert (one.slug, member_emails(one)) == ("number-one", ["ana@example.org"])


def test_cohort_list_counts_members_in_one_query(app, make_user, now, count_queries):
    for n in range(4):
        make_user(email=f"p{n}@example.org")
    for name, people in (("A", "p0 p1 p2"), ("B", "p3"), ("C", "")):
        cohort = services.create_cohort(name, "", actor=None, now=now)
        if people:
            services.add_members(cohort, " ".join(f"{p}@example.org" for p in people.split()),
                                 now=now)
    db.session.expire_all()
    with count_queries() as queries:
        rows = [(c.name, n) for c, n in services.list_cohorts()]
    assert rows == [("A", 3), ("B", 1), ("C", 0)]
    assert queries.count == 1


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("role, status", [("learner", 403), ("instructor", 403),
                                          ("registrar", 200), ("admin", 200)])
def test_cohort_pages_are_for_registrars_and_admins(app, client, make_user, sign_in, now,
                                                    role, status):
    services.create_cohort("Eastbrook team", "", actor=None, now=now)
    sign_in(client, make_user(role))
    assert client.get("/admin/cohorts").status_code == status
    assert client.get("/admin/cohorts/eastbrook-team").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    r = client.get("/admin/cohorts")
    assert r.status_code == 302 and "/account/signin" in r.headers["Location"]


def test_registrar_creates_a_cohort_adds_and_removes_members(app, client, make_user, sign_in):
    registrar = make_user("registrar")
    ana = make_user(email="ana@example.org", name="Ana Alvarez")
    make_user(email="ben@example.org", name="Ben Brooks")
    sign_in(client, registrar)

    r = client.post("/admin/cohorts", data={"name": "Spring <b>2027</b>", "description": "x"},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Spring &lt;b&gt;2027&lt;/b&gt;" in page and "<b>2027</b>" not in page
    slug = db.session.scalar(select(Cohort.slug))
    assert slug == "spring-b-2027-b"

    r = client.post(f"/admin/cohorts/{slug}/members",
                    data={"add-emails": "ana@example.org\nben@example.org"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Added 2 people." in page and "Ana Alvarez" in page and "Ben Brooks" in page

    r = client.post(f"/admin/cohorts/{slug}/members",
                    data={"add-emails": "ana@example.org\nnobody@example.org"})
    assert r.status_code == 400
    assert "No account has the address nobody@example.org" in r.get_data(as_text=True)
    assert count(CohortMember) == 2

    r = client.post(f"/admin/cohorts/{slug}/members/{ana.id}/remove", follow_redirects=True)
    assert "Ana Alvarez was removed from the cohort." in r.get_data(as_text=True)
    assert count(CohortMember) == 1

    page = client.get("/admin/cohorts").get_data(as_text=True)
    assert f'href="/admin/cohorts/{slug}"' in page and "<td>1</td>" in page

    r = client.post(f"/admin/cohorts/{slug}/delete", follow_redirects=True)
    assert "deleted" in r.get_data(as_text=True) and count(Cohort) == 0


def test_duplicate_name_shows_an_error_and_changes_nothing(app, client, make_user, sign_in,
                                                           now):
    services.create_cohort("Eastbrook team", "", actor=None, now=now)
    sign_in(client, make_user("admin"))
    r = client.post("/admin/cohorts", data={"name": "EASTBROOK team"})
    assert r.status_code == 200
    assert "already exists" in r.get_data(as_text=True)
    assert count(Cohort) == 1


def test_cohort_forms_need_the_csrf_token(app, client, make_user, sign_in, now):
    cohort = services.create_cohort("Eastbrook team", "", actor=None, now=now)
    make_user(email="ana@example.org")
    sign_in(client, make_user("registrar"))
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post("/admin/cohorts", data={"name": "No token"}).status_code == 400
    client.post(f"/admin/cohorts/{cohort.slug}/members", data={"add-emails": "ana@example.org"})
    client.post(f"/admin/cohorts/{cohort.slug}/delete")

    assert count(Cohort) == 1 and count(CohortMember) == 0

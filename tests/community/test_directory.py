"""The practitioner directory and the focus areas in the profile."""
from __future__ import annotations

from datetime import date

import pytest

from lms.auth import services as auth
from lms.community import directory
from lms.credentials import services as credentials
from lms.errors import ValidationError
from tests.builders import client_for, text_of


def member(make_user, name, country, focus=(), city="", org="", listed=True):
    user = make_user(name=name, country=country, city=city, organisation=org,
                     directory_opt_in=listed)
    if focus:
        auth.update_profile(user, {"focus_areas": list(focus)})
    return user


def test_focus_areas_are_the_programmes_pillars_and_commitments(app, make_user):
    keys = [k for k, _ in auth.focus_area_choices()]
    assert keys[:2] == ["racial-equity", "climate-resilience"] and "mobility" in keys
    ana = make_user()
    auth.update_profile(ana, {"focus_areas": ["mobility", "racial-equity"]})
    assert ana.focus_area_keys == ["racial-equity", "mobility"]  # the programme's order
    with pytest.raises(ValidationError, match="from the list"):
        auth.update_profile(ana, {"focus_areas": ["mobility", "astrology"]})
    auth.update_profile(ana, {"focus_areas": []})
    assert ana.focus_area_keys == []


def test_profile_form_offers_and_validates_focus_areas(app, make_user, sign_in):
    ana = make_user(name="Ana")
    client = client_for(app, sign_in, ana)
    page = text_of(client.get("/account/profile"))
    assert 'value="climate-resilience"' in page and "Belonging" in page
    r = client.post("/account/profile", data={"name": "Ana", "focus_areas": ["belonging"],
                                               "directory_opt_in": "y"}, follow_redirects=True)
    assert "Profile saved." in text_of(r) and ana.focus_area_keys == ["belonging"]
    r = client.post("/account/profile", data={"name": "Ana", "focus_areas": ["astrology"]})
    assert "is not a valid choice" in text_of(r) and ana.focus_area_keys == ["belonging"]


def test_only_opted_in_members_with_public_facts(app, make_user, now):
    member(make_user, "Ana Alvarez", "Kenya", ["racial-equity"], city="Nairobi")
    member(make_user, "Hidden Person", "Kenya", listed=False)
    page, entries = directory.search(directory.Filters(), 1, now.date())
    assert [e.user.name for e in entries] == ["Ana Alvarez"]
    assert entries[0].focus == ["Racial Equity"] and entries[0].credential is None


def test_filters_by_country_focus_text_and_ap_status(app, make_user, now):
    ana = member(make_user, "Ana Alvarez", "Kenya", ["mobility", "belonging"])
    member(make_user, "Ben Brooks", "kenya", ["belonging"], org="Eastbrook CDC")
    member(make_user, "Cy Chen", "Brazil", ["mobility"], city="Recife")
    credentials.issue(ana, date(2026, 1, 5), "Passed the exam", None, now)

    def names(**kw) -> list[str]:
        return [e.user.name for e in directory.search(directory.Filters(**kw), 1,
                                                      now.date())[1]]

    assert names(country="KENYA") == ["Ana Alvarez", "Ben Brooks"]
    assert names(focus="mobility") == ["Ana Alvarez", "Cy Chen"]
    assert names(country="Kenya", focus="mobility") == ["Ana Alvarez"]
    assert names(q="eastbrook") == ["Ben Brooks"] and names(q="recife") == ["Cy Chen"]
    assert names(q="%") == []
    assert names(status="any") == ["Ana Alvarez"] and names(status="active") == ["Ana Alvarez"]
    assert names(status="expired") == []
    assert names(focus="astrology") == names()  # an unknown filter is ignored
    [entry] = directory.search(directory.Filters(q="ana"), 1, now.date())[1]
    assert entry.credential.status == "active" and entry.credential.credential_id.startswith(
        "JCAP-")
    assert directory.countries() == ["Brazil", "Kenya", "kenya"] or \
        [c.lower() for c in directory.countries()] == ["brazil", "kenya", "kenya"]


def test_directory_page_is_public_and_shows_no_email(app, make_user, sign_in, now):
    member(make_user, "Ana Alvarez", "Kenya", ["racial-equity"], org="Nairobi Commons")
    client = client_for(app, sign_in)
    r = client.get("/directory?country=Kenya&focus=racial-equity&q=ana&status=&page=1")
    page = text_of(r)
    assert r.status_code == 200 and "Ana Alvarez" in page and "Nairobi Commons" in page
    assert "@example.org" not in page and "Racial Equity" in page
    assert client.get("/directory?page=abc&status=bogus&focus=x").status_code == 200


def test_directory_page_takes_constant_queries(app, make_user, sign_in, now, count_queries):
    client = client_for(app, sign_in)

    def queries(url) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    first = member(make_user, "P0", "Kenya", ["mobility"])
    credentials.issue(first, date(2026, 1, 5), "exam", None, now)
    few = queries("/directory")
    few_status = queries("/directory?status=active")
    for n in range(1, 12):
        user = member(make_user, f"P{n}", ["Kenya", "Brazil", "India"][n % 3], ["mobility"])
        if n % 2:
            credentials.issue(user, date(2026, 1, 5), "exam", None, now)
    assert queries("/directory") == few
    assert queries("/directory?status=active") == few_status

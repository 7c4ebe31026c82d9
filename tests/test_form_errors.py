"""Form errors appear beside their field and in a summary at the top, linked to each field, on
every form: the shared macro does it, and every template that lays out fields by hand calls the
summary too."""
from __future__ import annotations

import re
from pathlib import Path

LMS = Path(__file__).resolve().parents[1] / "lms"


def templates() -> list[Path]:
    return sorted(p for p in LMS.rglob("*.html") if p.name != "_forms.html")


def test_every_template_that_renders_fields_shows_the_error_summary():
    missing = []
    for path in templates():
        source = path.read_text(encoding="utf-8")
        by_hand = re.findall(r"\{\{\s*field\((\w+)\.", source)
        for form in set(by_hand):
            if not re.search(r"error_summary\(\s*" + form + r"\s*\)", source):
                missing.append(f"{path.relative_to(LMS)}: {form}")
    assert not missing, "templates using field() without error_summary(): " + ", ".join(missing)


def test_refused_registration_lists_each_problem_linked_to_its_field(client):
    response = client.post("/account/register", data={
        "name": "", "email": "nadia@example.org", "password": "short", "confirm": "other"})
    page = response.get_data(as_text=True)
    start = page.index('<div class="error-summary"')
    summary = page[start:page.index("</div>", start)]
    assert 'role="alert"' in summary
    for field_id, message in (("name", "This field is required."),
                              ("password", "Use at least 10 characters"),
                              ("confirm", "The passwords differ.")):
        assert f'href="#{field_id}"' in summary
        assert message in summary
        # and beside the field, tied to it for screen readers
        assert f'id="{field_id}-error"' in page
        assert re.search(rf'<input[^>]*aria-describedby="[^"]*{field_id}-error', page)
    assert summary.index("#name") < summary.index("#password") < summary.index("#confirm")


def test_a_valid_form_shows_no_summary(client):
    assert "error-summary" not in client.get("/account/register").get_data(as_text=True)


def test_hand_laid_out_forms_show_the_summary_too(client, make_user, sign_in):
    sign_in(client, make_user())
    response = client.post("/account/password", data={"current": "", "password": "short",
                                                      "confirm": "short"})
    page = response.get_data(as_text=True)
    assert "error-summary" in page and 'href="#current"' in page and 'href="#password"' in page

"""No form lets the browser cut text silently: no field renders `maxlength` (issue 7: a long
name or answer is refused with a message, never cut). Over-long text is refused by
lms.validators.MaxLength with the length it had."""
from __future__ import annotations

import importlib
import pkgutil

from flask_wtf import FlaskForm

import lms


def form_classes() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)

    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    return [c for c in all_subclasses(FlaskForm) if c.__module__.startswith("lms.")]


def test_no_field_renders_maxlength(app):
    classes = form_classes()
    assert len(classes) > 10
    offenders = []
    with app.test_request_context("/"):
        for cls in classes:
            form = cls(meta={"csrf": False})
            for field in form:
                if "maxlength" in str(field()):
                    offenders.append(f"{cls.__module__}.{cls.__name__}.{field.name}")
    assert offenders == []


def test_a_long_name_is_refused_with_its_length(app, client):
    response = client.post("/account/register", data={
        "name": "N" * 121, "email": "long@example.org", "password": "a-good-password-1",
        "confirm": "a-good-password-1"})
    text = response.get_data(as_text=True)
    assert "At most 120 characters: this has 121." in text

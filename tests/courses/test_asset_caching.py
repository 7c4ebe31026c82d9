"""Course files are cached publicly only when the course is published."""
from __future__ import annotations

from tests.builders import basic_course, client_for


def test_assets_of_unpublished_courses_are_private(app, setup, make_user, sign_in):
    setup({"u1": basic_course("U-1", title="Secret draft", published=False,
                              instructors=["owner@example.org"]),
           "c1": basic_course("C-1")})
    owner = make_user("instructor", email="owner@example.org")
    draft = client_for(app, sign_in, owner).get("/courses/U-1/assets/map.png")
    assert draft.status_code == 200
    assert draft.headers["Cache-Control"] == "private, max-age=3600"
    published = app.test_client().get("/courses/C-1/assets/map.png")
    assert published.headers["Cache-Control"] == "public, max-age=3600"

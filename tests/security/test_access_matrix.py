"""Who may do what: every route of the URL map × every person, in one table.

The people are tests/world.py's `PEOPLE` (columns, in this order):

    anon   not signed in               inst      instructor of the courses
    lrn    the learner (owner)         facil     facilitator of the world's cohort
    oth    another learner             reg       registrar
    peer   the learner's peer reviewer adm       administrator
    xins   instructor of another course api      employer's API client (anonymous JSON)

Cells (tests/security/walk.py): a status code; `in` = sent to sign-in; `302` = another
redirect; `ok` (state-changing requests only) = allowed: any answer but a refusal or a 5xx.
Requests carry no form data: a refusal must come before validation.

A new route fails `test_every_route_is_in_the_matrix` until its row is added here: decide
what each person should get, write the row, run the test (the failure shows what was observed).
"""
from __future__ import annotations

from tests.security.walk import matches, routes, walk
from tests.world import PEOPLE

COLUMNS = ("anon", "learner", "other", "peer", "xinst", "inst", "facil", "registrar", "admin",
           "api")

MATRIX: dict[str, str] = {
    #  route                                    anon lrn oth peer xins inst facil reg adm api
    "GET main.index":                           "200 302 302 302 302 302 302 302 302 200",
    "GET auth.confirm":                         "400 400 400 400 400 400 400 400 400 400",
    "GET auth.forgot_password":                 "200 200 200 200 200 200 200 200 200 200",
    "POST auth.forgot_password":                "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    "GET auth.change_password":                 "in  200 200 200 200 200 200 200 200 in",
    "POST auth.change_password":                "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET auth.profile":                         "in  200 200 200 200 200 200 200 200 in",
    "POST auth.profile":                        "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET auth.register":                        "200 200 200 200 200 200 200 200 200 200",
    "POST auth.register":                       "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    "GET auth.reset_password":                  "400 400 400 400 400 400 400 400 400 400",
    "POST auth.reset_password":                 "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    "GET auth.signin":                          "200 302 302 302 302 302 302 302 302 200",
    "POST auth.signin":                         "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    "GET admin.index":                          "in  403 403 403 403 403 403 200 200 in",
    "GET credits.programme":                    "in  403 403 403 403 403 403 200 200 in",
    "GET credits.decide":                       "in  403 403 403 403 403 403 200 200 in",
    "POST credits.decide":                      "in  403 403 403 403 403 403 ok  ok  in",
    "POST credits.decide_audit":                "in  403 403 403 403 403 403 ok  ok  in",
    "POST credits.correct":                     "in  403 403 403 403 403 403 ok  ok  in",
    "GET credits.holder_detail":                "in  403 403 403 403 403 403 200 200 in",
    "GET credits.roster":                       "in  403 403 403 403 403 403 200 200 in",
    "POST credits.roster":                      "in  403 403 403 403 403 403 ok  ok  in",
    "POST credits.reinstate":                   "in  403 403 403 403 403 403 ok  ok  in",
    "GET cohorts.cohorts":                      "in  403 403 403 403 403 403 200 200 in",
    "POST cohorts.cohorts":                     "in  403 403 403 403 403 403 ok  ok  in",
    "GET cohorts.cohort":                       "in  403 403 403 403 403 403 200 200 in",
    "POST cohorts.cohort":                      "in  403 403 403 403 403 403 ok  ok  in",
    "POST cohorts.delete":                      "in  403 403 403 403 403 403 ok  ok  in",
    "POST cohorts.create_invite":               "in  403 403 403 403 403 403 400 400 in",
    "POST cohorts.revoke_invite":               "in  403 403 403 403 403 403 302 302 in",
    "POST cohorts.add_members":                 "in  403 403 403 403 403 403 ok  ok  in",
    "POST cohorts.remove_member":               "in  403 403 403 403 403 403 ok  ok  in",
    "POST cohorts.set_role":                    "in  403 403 403 403 403 403 302 302 in",
    "GET admin.outbox":                         "in  403 403 403 403 403 403 403 200 in",
    "GET admin.users":                          "in  403 403 403 403 403 403 403 200 in",
    "GET admin.user_detail":                    "in  403 403 403 403 403 403 403 200 in",
    "POST admin.user_detail":                   "in  403 403 403 403 403 403 403 ok  in",
    "POST admin.user_active":                   "in  403 403 403 403 403 403 403 ok  in",
    "GET verify_api.docs":                      "200 200 200 200 200 200 200 200 200 200",
    "GET verify_api.ob_achievement":            "200 200 200 200 200 200 200 200 200 200",
    "GET verify_api.ob_issuer":                 "200 200 200 200 200 200 200 200 200 200",
    "GET verify_api.ob_jwks":                   "200 200 200 200 200 200 200 200 200 200",
    "GET verify_api.ob_status_root":            "404 404 404 404 404 404 404 404 404 404",
    "GET verify_api.ob_status":                 "200 200 200 200 200 200 200 200 200 200",
    "POST verify_api.ob_verify":                "400 400 400 400 400 400 400 400 400 400",
    "GET verify_api.openapi":                   "200 200 200 200 200 200 200 200 200 200",
    "GET verify_api.verify_one":                "200 200 200 200 200 200 200 200 200 200",
    "POST verify_api.verify_batch":             "400 400 400 400 400 400 400 400 400 400",
    "POST verify_api.verify_pdf":               "400 400 400 400 400 400 400 400 400 400",
    "POST assignments.save_draft":              "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "POST assignments.upload":                  "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "POST assignments.remove_file":             "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET assignments.download":                 "in  302 404 302 404 302 404 404 302 in",
    "GET assignments.queue":                    "in  403 403 403 200 200 403 200 200 in",
    "GET assignments.grade":                    "in  403 403 403 403 200 403 403 200 in",
    "POST assignments.grade":                   "in  403 403 403 403 ok  403 403 ok  in",
    "POST assignments.release":                 "in  403 403 403 403 ok  403 403 ok  in",
    "GET assignments.overview":                 "in  403 403 403 403 200 403 403 200 in",
    "POST assignments.export":                  "in  403 403 403 403 ok  403 403 ok  in",
    "GET assignments.grades_csv":               "in  403 403 403 403 200 403 403 200 in",
    "POST assignments.release_held":            "in  403 403 403 403 ok  403 403 ok  in",
    "POST assignments.remove_bank_entry":       "in  403 403 403 404 ok  403 404 404 in",
    "GET assignments.export_download":          "in  403 403 403 403 302 403 403 302 in",
    "POST assignments.preview":                 "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET assignments.review":                   "in  404 404 200 404 404 404 404 404 in",
    "POST assignments.review":                  "in  404 404 ok  404 404 404 404 404 in",
    "GET credits.my_ce":                        "in  200 200 200 200 200 200 200 200 in",
    "POST credits.answer":                      "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET credits.activity_evidence":            "in  302 404 404 404 404 404 302 302 in",
    "POST credits.audit_evidence":              "in  ok  404 404 404 404 404 404 404 in",
    "GET credits.audit_file":                   "in  403 403 403 403 403 403 404 404 in",
    "GET credits.deadline_ics":                 "in  200 404 404 404 404 404 404 404 in",
    "POST credits.renew":                       "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET credits.report":                       "in  200 404 404 404 404 404 404 404 in",
    "POST credits.report":                      "in  ok  404 404 404 404 404 404 404 in",
    "GET credits.transcript_csv":               "in  200 404 404 404 404 404 404 404 in",
    "GET credits.transcript_pdf":               "in  200 404 404 404 404 404 404 404 in",
    "GET cohorts.join":                         "200 200 200 200 200 200 200 200 200 200",
    "POST cohorts.join_post":                   "in  302 302 302 302 302 302 302 302 in",
    "GET community.index":                      "in  200 200 200 200 200 200 200 200 in",
    "GET community.board":                      "in  200 404 404 404 404 200 200 200 in",
    "POST community.board":                     "in  400 404 404 404 404 400 400 400 in",
    "POST community.follow_board":              "in  302 404 404 404 404 302 302 302 in",
    "GET community.stats":                      "in  403 404 404 404 404 200 200 200 in",
    "GET community.stats_csv":                  "in  403 404 404 404 404 200 200 200 in",
    "GET community.mentions":                   "in  404 404 404 404 404 404 404 404 in",
    "GET community.queue":                      "in  403 403 403 200 200 200 200 200 in",
    "GET community.log":                        "in  403 403 403 200 200 200 200 200 in",
    "POST community.moderate":                  "in  404 404 404 404 404 302 302 302 in",
    "POST community.suspend":                   "in  404 404 404 404 404 302 302 302 in",
    "POST community.warn":                      "in  404 404 404 404 404 302 302 302 in",
    "POST community.accept":                    "in  302 404 404 404 404 302 302 302 in",
    "POST community.delete":                    "in  302 404 404 404 404 302 302 302 in",
    "GET community.edit":                       "in  404 404 404 404 404 200 404 404 in",
    "POST community.edit":                      "in  404 404 404 404 404 400 404 404 in",
    "POST community.endorse":                   "in  302 404 404 404 404 302 302 302 in",
    "GET community.flag":                       "in  200 404 404 404 404 200 200 200 in",
    "POST community.flag":                      "in  400 404 404 404 404 400 400 400 in",
    "GET community.history":                    "in  404 404 404 404 404 200 200 200 in",
    "POST community.like":                      "in  302 404 404 404 404 302 302 302 in",
    "GET community.search":                     "in  200 200 200 200 200 200 200 200 in",
    "GET community.thread":                     "in  200 404 404 404 404 200 200 200 in",
    "POST community.thread_action":             "in  302 404 404 404 404 302 302 302 in",
    "POST community.reply":                     "in  302 404 404 404 404 302 302 302 in",
    "GET courses.catalogue":                    "200 200 200 200 200 200 200 200 200 200",
    "GET courses.course":                       "200 200 200 200 200 200 200 200 200 200",
    "GET courses.asset":                        "200 200 200 200 200 200 200 200 200 200",
    "POST courses.enrol":                       "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET courses.export":                       "in  403 403 403 403 200 403 403 200 in",
    "GET courses.item":                         "in  200 200 200 200 200 200 200 200 in",
    "POST courses.complete":                    "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET courses.draft":                        "in  403 403 403 403 200 403 403 200 in",
    "GET courses.edit_item":                    "in  403 403 403 403 200 403 403 200 in",
    "POST courses.edit_item":                   "in  403 403 403 403 ok  403 403 ok  in",
    "GET courses.history":                      "in  403 403 403 403 200 403 403 200 in",
    "GET courses.revision":                     "in  403 403 403 403 200 403 403 200 in",
    "POST courses.restore":                     "in  403 403 403 403 ok  403 403 ok  in",
    "POST courses.preview":                     "in  403 403 403 403 ok  403 403 ok  in",
    "GET credentials.mine":                     "in  200 200 200 200 200 200 200 200 in",
    "GET credentials.certificate":              "in  302 404 404 404 404 404 404 404 in",
    "GET main.dashboard":                       "in  200 200 200 200 200 200 200 200 in",
    "GET directory.index":                      "200 200 200 200 200 200 200 200 200 200",
    "GET files.download":                       "404 404 404 404 404 404 404 404 404 404",
    "GET main.healthz":                         "200 200 200 200 200 200 200 200 200 200",
    "GET notifications.index":                  "in  200 200 200 200 200 200 200 200 in",
    "POST notifications.open_one":              "in  302 404 404 404 404 404 404 404 in",
    "POST notifications.read_all":              "in  302 302 302 302 302 302 302 302 in",
    "GET notifications.settings":               "in  200 200 200 200 200 200 200 200 in",
    "POST notifications.settings":              "in  200 200 200 200 200 200 200 200 in",
    "GET notifications.unsubscribe":            "404 404 404 404 404 404 404 404 404 404",
    "POST notifications.unsubscribe":           "404 404 404 404 404 404 404 404 404 404",
    "POST quizzes.accommodate":                 "in  403 403 403 403 ok  403 403 ok  in",
    "GET quizzes.analysis_csv":                 "in  403 403 403 403 200 403 403 200 in",
    "GET quizzes.attempt_detail":               "in  403 403 403 403 200 403 403 200 in",
    "GET quizzes.results":                      "in  403 403 403 403 200 403 403 200 in",
    "POST quizzes.start":                       "in  ok  ok  ok  ok  ok  ok  ok  ok  in",
    "GET quizzes.attempt":                      "in  200 403 403 403 403 403 403 403 in",
    "POST quizzes.save":                        "in  ok  403 403 403 403 403 403 403 in",
    "POST quizzes.submit":                      "in  ok  403 403 403 403 403 403 403 in",
    "GET quizzes.summary":                      "in  302 403 403 403 403 403 403 403 in",
    "GET credentials.register":                 "in  403 403 403 403 403 403 200 200 in",
    "GET credentials.detail":                   "in  403 403 403 403 403 403 200 200 in",
    "GET credentials.registrar_certificate":    "in  403 403 403 403 403 403 302 302 in",
    "POST credentials.reissue":                 "in  403 403 403 403 403 403 302 302 in",
    "POST credentials.resend":                  "in  403 403 403 403 403 403 302 302 in",
    "POST credentials.change_state":            "in  403 403 403 403 403 403 302 302 in",
    "POST credentials.bundle":                  "in  403 403 403 403 403 403 302 302 in",
    "GET credentials.bundle_download":          "in  403 403 403 403 403 403 404 404 in",
    "POST credentials.issue":                   "in  403 403 403 403 403 403 302 302 in",
    "GET static":                               "200 200 200 200 200 200 200 200 200 200",
    "GET courses.teaching":                     "in  403 403 403 200 200 403 200 200 in",
    "GET verify.index":                         "200 200 200 200 200 200 200 200 200 200",
    "GET verify.open_badge":                    "in  200 404 404 404 404 404 200 200 in",
    "GET verify.credential":                    "200 200 200 200 200 200 200 200 200 200",
    "POST verify.pdf":                          "422 422 422 422 422 422 422 422 422 422",
    "POST auth.signout":                        "ok  ok  ok  ok  ok  ok  ok  ok  ok  ok",
    "POST auth.signout_everywhere":             "in  in  in  in  in  in  in  in  in  in",
}


def test_columns_are_the_people_of_the_world():
    assert COLUMNS == tuple(PEOPLE)


def test_every_route_is_in_the_matrix(app):
    keys = {key for key, _rule, _method in routes(app)}
    missing = sorted(keys - MATRIX.keys())
    stale = sorted(MATRIX.keys() - keys)
    assert not missing, (
        "routes without a row in tests/security/test_access_matrix.py MATRIX: "
        f"{missing}. Add one row per route (\"METHOD endpoint\": ten cells, one per person).")
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_access_matrix(app, world):
    expected = {key: dict(zip(COLUMNS, row.split(), strict=True)) for key, row in MATRIX.items()}
    observed: dict[str, dict[str, str]] = {}
    failures = []
    for key, person, url, got in walk(app, world, COLUMNS):
        observed.setdefault(key, {})[person] = got
        want = expected.get(key, {}).get(person)
        if want is not None and not matches(want, got):
            failures.append(f"{key} ({url}) as {person}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)
    # the walk really reached the pages, not only the sign-in form
    assert observed["GET admin.user_detail"]["admin"] == "200"
    assert observed["GET assignments.review"]["peer"] == "200"
    assert observed["GET community.thread"]["facil"] == "200"  # the cohort's board, as its
    assert observed["GET community.thread"]["other"] == "404"  # facilitator; not a member's
    assert observed["GET credentials.detail"]["registrar"] == "200"
    assert observed["GET verify.credential"]["anon"] == "200"
    assert observed["POST notifications.open_one"]["learner"] == "302"


def test_the_api_client_gets_api_answers(app, world):
    """The employer's client on the API: JSON, and errors as RFC 9457 problem documents."""
    client = world.clients["api"]
    found = client.get(f"/api/v1/verify/{world.values['credential_id']}")
    assert found.status_code == 200 and found.is_json
    for url in ("/api/v1/verify/JCAP-2025-999999-X", "/api/v1/verify/not%20an%20id"):
        missing = client.get(url)
        assert missing.status_code in (400, 404), url
        assert missing.mimetype == "application/problem+json", url
    bad = client.post("/api/v1/verify/batch")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"

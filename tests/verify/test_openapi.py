"""The API against its own OpenAPI 3.1 document: the document validates; schemathesis sends
generated requests to every operation of the app and checks each answer against it; the docs
page is rendered from it."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from lms.verify.openapi import document


def test_the_document_is_valid_openapi_3_1(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.headers["ETag"]
    spec = r.get_json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on any error
    assert spec == document()
    paths = set(spec["paths"])
    assert {"/verify/{credential_id}", "/verify/batch", "/verify/pdf", "/ob/issuer",
            "/ob/jwks.json", "/ob/status/{list_id}/{purpose}", "/ob/verify"} <= paths


def test_every_documented_path_is_a_route(app):
    rules = {r.rule.replace("<path:", "<") for r in app.url_map.iter_rules()}
    for path in document()["paths"]:
        flask_path = "/api/v1" + path.replace("{", "<").replace("}", ">")
        assert flask_path in rules, flask_path


def test_docs_page_lists_every_operation_without_scripts(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    for path, operations in document()["paths"].items():
        for op in operations.values():
            assert f'id="{op["operationId"]}"' in html, path
    assert "<script>" not in html and "cdn" not in html.lower()
    assert "<h1>" in html and 'aria-labelledby="verifyBatch-title"' in html


def test_api_conforms_to_its_openapi_document(app, holder, today_is):
    """schemathesis (its Python API, positive data, a bounded number of examples per
    operation): every answer is no server error and matches the document (status code,
    content type, headers, body schema)."""
    app.config["VERIFY_RATE_LIMIT"] = "100000 per minute"
    app.config["VERIFY_BATCH_RATE_LIMIT"] = "100000 per minute"
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 for schemathesis to see
    _, credential = holder()
    config = schemathesis.Config.from_dict({"generation": {"mode": "positive"}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    # every operation but the document itself (schemathesis leaves out its own source)
    assert len(operations) == len([op for path, ops in document()["paths"].items()
                                   for op in ops if path != "/openapi.json"])
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case):
            if "credential_id" in (case.path_parameters or {}) and case.path_parameters[
                    "credential_id"] == "JCAP-2026-000123-K":
                case.path_parameters["credential_id"] = credential.credential_id
            case.call_and_validate()

        conforms()

"""`flask demo` prints each demo holder's verification address; the page and the API answer
for every one of them, in every state; name search finds the listed holders; twice → same."""
from __future__ import annotations

import re

from tests.credentials.conftest import REPO


def test_demo_holders_verify_in_every_state(runner, app, client, now):
    app.config.update(FROZEN_NOW=now, COURSES_DIR=str(REPO / "courses"))
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    lines = re.findall(r"(/verify/\S+)\s+(\w+)\s+(\S+@\S+)", first.output)
    assert {status for _, status, _ in lines} == {"active", "grace", "expired", "suspended",
                                                  "revoked"}
    for path, status, email in lines:
        page = client.get(path)
        assert page.status_code == 200 and email not in page.get_data(as_text=True)
        assert client.get("/api/v1" + path).get_json()["status"] == status
    found = client.get("/verify", query_string={"name": "holt"}).get_data(as_text=True)
    assert "Amara" in found
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert re.findall(r"(/verify/\S+)\s+(\w+)\s+(\S+@\S+)", second.output) == lines

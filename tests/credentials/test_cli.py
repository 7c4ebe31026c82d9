"""`flask credentials issue|certificate|suspend|reinstate|revoke`: output, exit codes, and bad
input that changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.credentials.models import Credential, CredentialEvent
from lms.credentials.signing import check_pdf
from lms.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_issue_prints_the_id_and_refuses_bad_input(runner, programme_dir, make_user):
    user = make_user()
    r = runner.invoke(args=["credentials", "issue", user.email, "--issued-on", "2026-02-01",
                            "--reason", "Passed at the academy"])
    assert r.exit_code == 0, r.output
    credential = db.session.scalar(select(Credential))
    assert r.output.strip() == credential.credential_id
    for args, message in (
            (["credentials", "issue", "nobody@example.org"], "No account for"),
            (["credentials", "issue", user.email], "already holds"),
            (["credentials", "issue", user.email, "--issued-on", "yesterday"], "YYYY-MM-DD")):
        r = runner.invoke(args=args)
        assert r.exit_code == 1 and message in r.output, r.output
    assert count(Credential) == 1


def test_certificate_writes_a_signed_pdf(runner, holder, tmp_path):
    _, credential = holder()
    out = tmp_path / "cert.pdf"
    r = runner.invoke(args=["credentials", "certificate", credential.credential_id.lower(),
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    result = check_pdf(out.read_bytes())
    assert result.signature_valid and result.credential_id == credential.credential_id
    r = runner.invoke(args=["credentials", "certificate", "JCAP-2026-999999-0",
                            "--out", str(tmp_path / "x.pdf")])
    assert r.exit_code == 1 and "No credential" in r.output
    assert not (tmp_path / "x.pdf").exists()


def test_lifecycle_commands(runner, holder):
    _, credential = holder()
    cid = credential.credential_id
    for reason in (["--reason", "  "], ["--reason", ""], []):  # blank, empty, missing
        r = runner.invoke(args=["credentials", "revoke", cid, *reason])
        assert r.exit_code == 1 and "Give a reason" in r.output, (reason, r.output)
    assert count(CredentialEvent) == 1
    r = runner.invoke(args=["credentials", "suspend", cid, "--reason", "Under review"])
    assert r.exit_code == 0 and r.output.strip() == f"{cid}: suspended"
    r = runner.invoke(args=["credentials", "reinstate", cid, "--reason", "Cleared"])
    assert r.output.strip() == f"{cid}: active"
    r = runner.invoke(args=["credentials", "revoke", cid, "--reason", "Misconduct"])
    assert r.output.strip() == f"{cid}: revoked"
    r = runner.invoke(args=["credentials", "revoke", cid, "--reason", "Again"])
    assert r.exit_code == 1 and "cannot be revoked" in r.output
    r = runner.invoke(args=["credentials", "revoke", "JCAP-2026-000001-Q", "--reason", "x"])
    assert r.exit_code == 1 and "No credential" in r.output
    assert count(CredentialEvent) == 4


def test_the_history_cannot_be_edited(holder):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    holder()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE credential_events SET reason = 'forged'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM credential_events"))
    db.session.rollback()
    assert count(CredentialEvent) == 1

"""The restore drill: a backup taken as docs/operations.md says (the database, by pg_dump on
PostgreSQL or SQLite's online backup, plus a tar of the uploads folder), restored into a fresh
database and a fresh folder, holds everything: every table's rows (accounts, progress,
attempts, submissions, the CE ledger, credentials...), people can still sign in, CE totals
are the same, and every stored file reads back byte for byte.

Certificates: every issued certificate read back from the restored storage still verifies
(the signed PDF's signature is intact, chains to the programme's root and names its
credential, which the restored register finds) once the settings are restored too: the
signing key (CERT_SIGNING_*, or the development CA in instance/signing/) is part of "the
settings" operations.md says to back up. Board posts: every thread and post is there with
its text, and a member reads the thread in the restored site.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tarfile

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lms import storage
from lms.assignments.models import Attachment
from lms.community.models import Post, Thread
from lms.credentials.models import Certificate, Credential
from lms.credits import services as ce
from lms.extensions import db
from tests.conftest import make_test_app
from tests.world import CE_TODAY, build_world


@pytest.fixture
def world(app, tmp_path, now, make_user, sign_in):
    return build_world(app, tmp_path, now, make_user, sign_in)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables}


def _backup_and_restore(url: str, tmp_path) -> str:
    """Dump `url` and restore it into a new database; the new database's URL."""
    if url.startswith("sqlite"):
        source = make_url(url).database
        target = tmp_path / "restored.sqlite3"
        sqlite3.connect(source).backup(sqlite3.connect(target))  # operations.md's one-liner
        return f"sqlite:///{target}"
    base = make_url(url)
    libpq = base.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = tmp_path / "lms.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq],
                   check=True)
    name = f"{base.database}_restore"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    fresh = base.set(database=name)
    subprocess.run(["pg_restore", "--no-owner",
                    f"--dbname={fresh.set(drivername='postgresql').render_as_string(False)}",
                    str(dump)], check=True)
    return fresh.render_as_string(hide_password=False)


def test_backup_restores_everything(app, world, tmp_path, now):
    db.session.commit()
    source_counts = _counts(db.engine)
    record = ce.load_record(world.users["learner"], CE_TODAY)
    files = {a.storage_key: storage.open(a.storage_key).stream.read()
             for a in db.session.scalars(select(Attachment))}
    assert files and source_counts["ce_ledger_entries"] and source_counts["credentials"]
    certificates = {c.storage_key: cid for c, cid in db.session.execute(
        select(Certificate, Credential.credential_id).join(
            Credential, Credential.id == Certificate.credential_id))}
    posts = {p.id: (p.thread_id, p.body) for p in db.session.scalars(select(Post))}
    threads = {t.id: t.title for t in db.session.scalars(select(Thread))}
    assert certificates and posts and threads

    # the backup: database + the uploads folder
    uploads = app.config["UPLOAD_DIR"]
    archive = tmp_path / "uploads.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(uploads, arcname="uploads")
    restored_url = _backup_and_restore(str(db.engine.url.render_as_string(False)), tmp_path)

    # the restore: a new instance folder, the archive unpacked, the new database
    instance = tmp_path / "restored-instance"
    instance.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(instance, filter="data")
    # the settings: here the development signing CA (production: the CERT_SIGNING_* files)
    shutil.copytree(f"{app.instance_path}/signing", instance / "signing")
    restored = make_test_app(str(instance), restored_url)
    restored.config.update(COURSES_DIR=app.config["COURSES_DIR"],
                           FROZEN_NOW=app.config["FROZEN_NOW"])
    with restored.app_context():
        try:
            assert _counts(db.engine) == source_counts
            for key, data in files.items():
                assert storage.open(key).stream.read() == data
            from lms.auth.models import User
            learner = db.session.scalar(select(User).where(
                User.email == world.users["learner"].email))
            again = ce.load_record(learner, CE_TODAY)
            assert again.status.progress.total == record.status.progress.total
            client = restored.test_client()
            signed = client.post("/account/signin", data={
                "email": learner.email, "password": "correct-horse-battery"})
            assert signed.status_code == 302
            assert client.get("/ce").status_code == 200
            _certificates_still_verify(certificates, CE_TODAY)
            _posts_are_there(posts, threads, client)
        finally:
            db.session.remove()
            db.engine.dispose()


def _certificates_still_verify(certificates: dict[str, str], today) -> None:
    """Each certificate PDF, read from the restored storage, checks as the verifier would."""
    from lms.verify import services as verify

    for key, credential_id in certificates.items():
        report = verify.check_certificate(storage.open(key).stream.read(), today)
        check = report.check
        assert check.signed and check.signature_valid and check.trusted, (key, check.message)
        assert not check.modified_after_signing
        assert check.credential_id == credential_id
        assert report.credential is not None  # the restored register knows it


def _posts_are_there(posts: dict, threads: dict, client) -> None:
    restored_posts = {p.id: (p.thread_id, p.body) for p in db.session.scalars(select(Post))}
    assert restored_posts == posts
    assert {t.id: t.title for t in db.session.scalars(select(Thread))} == threads
    for thread_id, title in threads.items():
        page = client.get(f"/community/threads/{thread_id}")
        assert page.status_code == 200 and title in page.get_data(as_text=True)

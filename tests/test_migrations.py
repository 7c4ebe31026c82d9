"""The Alembic revisions build exactly the schema of the models, and tear it down again.

`flask db upgrade` on an empty database, then `flask db check` must find nothing to add: a model
change without its revision fails here. `flask db downgrade base` must leave no table behind,
and upgrading again must work. Runs the real command line in a subprocess, on a fresh SQLite
file and, when LMS_TEST_DATABASE_URL is set, in a throwaway PostgreSQL schema.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms.config import normalise_database_url

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("LMS_TEST_DATABASE_URL")


def model_tables() -> set[str]:
    import lms.models  # noqa: F401  (registers every model)
    from lms.extensions import db

    return set(db.metadata.tables)


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def database(request, tmp_path) -> Iterator[tuple[str, str | None]]:
    """(url for the app, schema or None): an empty database nothing else uses."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3"), None
        return
    schema = f"migtest_{uuid.uuid4().hex[:12]}"
    base = normalise_database_url(PG_URL)
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False), schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def flask_db(url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "LMS_INSTANCE_PATH": str(instance),
           "SECRET_KEY": "migration-test"}
    env.pop("LMS_TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def tables(url: str, schema: str | None) -> set[str]:
    """The database's tables, less the boards' SQLite full-text table and FTS5's own tables
    behind it (made by the community revision, not by a model; see migrations/env.py)."""
    engine = create_engine(url)
    try:
        return {name for name in inspect(engine).get_table_names(schema=schema)
                if not name.startswith("community_fts")}
    finally:
        engine.dispose()


def test_revisions_match_the_models_and_downgrade_cleanly(database, tmp_path):
    url, schema = database

    heads = flask_db(url, tmp_path, "heads")
    assert heads.returncode == 0, heads.stderr
    assert len(heads.stdout.strip().splitlines()) == 1, f"several heads:\n{heads.stdout}"

    upgrade = flask_db(url, tmp_path, "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert tables(url, schema) == model_tables() | {"alembic_version"}

    check = flask_db(url, tmp_path, "check")
    output = check.stdout + check.stderr
    assert check.returncode == 0, f"the models differ from the migrations:\n{output}"
    assert "No new upgrade operations detected." in output

    downgrade = flask_db(url, tmp_path, "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr
    assert tables(url, schema) <= {"alembic_version"}

    again = flask_db(url, tmp_path, "upgrade")
    assert again.returncode == 0, again.stderr
    assert tables(url, schema) == model_tables() | {"alembic_version"}

"""What every benchmark starts from: a throwaway instance, a migrated database, the app."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def bench_app(prefix: str, **config: Any):
    """(app, instance folder): SQLite in a new temporary folder, or the database named by
    BENCH_DATABASE_URL; migrated; CSRF and rate limits off. Call before importing lms code
    that reads the environment."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["LMS_INSTANCE_PATH"] = str(tmp)
    os.environ["DATABASE_URL"] = (os.environ.get("BENCH_DATABASE_URL")
                                  or f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["RATELIMIT_ENABLED"] = "false"
    from flask_migrate import upgrade

    from lms import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, **config})
    with app.app_context():
        upgrade()
    return app, tmp

"""The health report behind /healthz."""
from __future__ import annotations

from sqlalchemy import text

from lms import tasks
from lms.extensions import db


def health_report() -> tuple[dict[str, str], int]:
    """({"status", "database"[, "broker"]}, HTTP status).

    Database down: 503 (take this server out). Broker down: 200 "degraded" (pages still work;
    background work waits in the outbox and the queue). No broker configured: no key.
    """
    report = {"status": "ok", "database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        report.update(status="error", database="unreachable")
    broker = tasks.broker_status()
    if broker is not None:
        report["broker"] = broker
        if broker != "ok" and report["status"] == "ok":
            report["status"] = "degraded"
    return report, 503 if report["database"] != "ok" else 200

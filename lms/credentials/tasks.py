"""Background work: making a certificate after the commit that calls for it, cohort ZIPs,
and a daily pass that makes any certificate still missing (a broker that was down)."""
from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from lms import clock
from lms.tasks import periodic


@shared_task(name="lms.credentials.make_certificate")
def make_certificate_task(credential_pk: int, why: str) -> str:
    from flask import current_app

    from lms.credentials import services
    from lms.credentials.signing import SigningUnavailable

    try:
        credential = services.get_credential_by_pk(credential_pk)
        made = services.make_certificate(credential, why, clock.now())
    except SigningUnavailable as err:
        current_app.logger.warning("certificate for credential %s not made: %s",
                                   credential_pk, err)
        return f"not made: {err}"
    except Exception:  # an eager run would swallow it: say so (the daily task retries)
        current_app.logger.exception("certificate for credential %s not made", credential_pk)
        raise
    return f"certificate {made.id}"


@shared_task(name="lms.credentials.build_bundle")
def build_bundle_task(bundle_id: int) -> str:
    from lms.credentials import services

    bundle = services.build_bundle(bundle_id, clock.now())
    return f"{bundle.status}: {bundle.count}"


@periodic("credentials: make missing certificates", crontab(hour=3, minute=0))
@shared_task(name="lms.credentials.missing_certificates")
def missing_certificates_task() -> str:
    from lms.credentials import services

    return f"{services.make_missing_certificates(clock.now())} made"

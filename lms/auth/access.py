"""Authorisation in one place: `role_required` guards a view by the minimum role."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from lms.extensions import login_manager


def role_required(role: str):
    """Anonymous visitors go to sign-in; signed-in users below `role` get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


login_required = role_required("learner")

"""Account rules: registration, confirmation, sign-in, password reset, profile, roles.

Services own the unit of work (one commit) and raise `lms.errors` exceptions with messages fit
for the user. Time is passed in.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms import mail
from lms.auth.models import ROLES, User
from lms.errors import Conflict, NotFound, ValidationError
from lms.extensions import db

MIN_PASSWORD = 10
CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"


# ---------------------------------------------------------------- helpers


def normalise_email(raw: str) -> str:
    """Validate syntax (no DNS lookup) and return the normalised, lower-cased address."""
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as err:
        raise ValidationError(f"That e-mail address is not valid: {err}") from err
    return info.normalized.lower()


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    lowered = password.lower()
    if email and lowered == email.lower():
        raise ValidationError("Your password must not be your e-mail address.")
    if lowered in {"password123", "passwordpassword", "1234567890", "qwertyuiop"}:
        raise ValidationError("That password is too common; choose another.")


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


# ---------------------------------------------------------------- registration


@dataclass
class Registration:
    name: str
    email: str
    password: str


def register(data: Registration, now: datetime) -> User:
    """Create a learner account and queue its confirmation e-mail."""
    email = normalise_email(data.email)
    name = data.name.strip()
    if not name:
        raise ValidationError("Enter your name.")
    check_password_rules(data.password, email=email, name=name)
    if get_user_by_email(email) is not None:
        raise Conflict("An account with that e-mail address already exists. Sign in or reset "
                       "your password.")
    user = User(email=email, name=name, password_hash=hash_password(data.password),
                role="learner", created_at=now)
    db.session.add(user)
    db.session.flush()
    _queue_confirmation(user, now)
    db.session.commit()  # the e-mail is sent by a background task once this has committed
    return user


def _queue_confirmation(user: User, now: datetime) -> mail.OutboxMessage:
    token = _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})
    link = mail.external_url("auth.confirm", token=token)
    hours = current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600
    body = (f"Hello {user.name},\n\nPlease confirm your e-mail address for the Just Communities "
            f"AP learning platform by opening this link (valid for {hours} hours):\n\n{link}\n\n"
            "If you did not register, ignore this message.\n")
    return mail.queue(user.email, "Confirm your e-mail address", body, now)


def resend_confirmation(email: str, now: datetime) -> None:
    """Queue a new confirmation e-mail; silent for unknown or confirmed addresses."""
    user = get_user_by_email(email)
    if user is None or user.confirmed:
        return
    _queue_confirmation(user, now)
    db.session.commit()  # sent after the commit (lms/mail.py)


def confirm_email(token: str, now: datetime) -> User:
    max_age = current_app.config["CONFIRM_TOKEN_MAX_AGE"]
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=max_age)
    except SignatureExpired as err:
        raise ValidationError(
            "That confirmation link has expired. Sign in to get a new one.") from err
    except BadSignature as err:
        raise ValidationError("That confirmation link is not valid.") from err
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise ValidationError("That confirmation link is not valid.")
    if not user.confirmed:
        user.email_confirmed_at = now
        db.session.commit()
    return user


# ---------------------------------------------------------------- sign-in


class UnconfirmedEmail(ValidationError):
    pass


def _dummy_hash() -> str:
    """A hash made with the configured method, for timing-equal checks of unknown addresses."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    cached = _DUMMY_HASHES.get(method)
    if cached is None:
        cached = _DUMMY_HASHES[method] = hash_password("no account has this password")
    return cached


_DUMMY_HASHES: dict[str, str] = {}


def authenticate(email: str, password: str, now: datetime) -> User:
    """Return the user for these credentials or raise with a message that leaks nothing."""
    user = get_user_by_email(email)
    # Hash the password even for an unknown address, so the reply takes as long either way
    # and its timing does not tell which addresses have accounts.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password) or user is None:
        raise ValidationError("Wrong e-mail address or password.")
    if not user.active:
        raise ValidationError("This account has been deactivated. Contact the registrar.")
    if not user.confirmed:
        raise UnconfirmedEmail("Confirm your e-mail address first: we have sent you a new link.")
    user.last_login_at = now
    db.session.commit()
    return user


# ---------------------------------------------------------------- password reset


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def request_password_reset(email: str, now: datetime) -> None:
    """Queue a reset link for a known, active account; silent otherwise (no account probing)."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    token = _serializer(RESET_SALT).dumps({"id": user.id, "pw": _password_fingerprint(user)})
    link = mail.external_url("auth.reset_password", token=token)
    minutes = current_app.config["RESET_TOKEN_MAX_AGE"] // 60
    body = (f"Hello {user.name},\n\nSomeone asked to reset the password of your Just Communities "
            f"AP account. Open this link within {minutes} minutes to choose a new one; it works "
            f"once:\n\n{link}\n\nIf it was not you, ignore this message.\n")
    mail.queue(user.email, "Reset your password", body, now)
    db.session.commit()  # sent after the commit (lms/mail.py)


def user_for_reset_token(token: str) -> User:
    """The user a reset token is for; raises when expired, forged or already used."""
    max_age = current_app.config["RESET_TOKEN_MAX_AGE"]
    try:
        data = _serializer(RESET_SALT).loads(token, max_age=max_age)
    except SignatureExpired as err:
        raise ValidationError("That reset link has expired. Ask for a new one.") from err
    except BadSignature as err:
        raise ValidationError("That reset link is not valid.") from err
    user = db.session.get(User, data.get("id"))
    if user is None or data.get("pw") != _password_fingerprint(user):
        raise ValidationError("That reset link has already been used. Ask for a new one.")
    return user


def reset_password(token: str, new_password: str, now: datetime) -> User:
    user = user_for_reset_token(token)
    check_password_rules(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    if not user.confirmed:  # the link proves the address
        user.email_confirmed_at = now
    db.session.commit()
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("Your current password is not right.")
    check_password_rules(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    db.session.commit()


# ---------------------------------------------------------------- profile

PROFILE_FIELDS = ("name", "legal_name", "organisation", "city", "country", "bio",
                  "directory_opt_in")


def update_profile(user: User, changes: dict) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown profile fields: {', '.join(sorted(unknown))}")
    if "name" in changes and not str(changes["name"]).strip():
        raise ValidationError("Your display name cannot be empty.")
    for key, value in changes.items():
        setattr(user, key, value.strip() if isinstance(value, str) else bool(value))
    db.session.commit()
    return user


# ---------------------------------------------------------------- administration


def create_user(email: str, name: str, role: str, password: str, now: datetime,
                *, confirmed: bool = True) -> User:
    """Create an account directly (CLI, demo, admin). Confirmed unless told otherwise."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    check_password_rules(password, email=email)
    if get_user_by_email(email) is not None:
        raise Conflict(f"An account for {email} already exists.")
    user = User(email=email, name=name.strip() or email, role=role,
                password_hash=hash_password(password), created_at=now,
                email_confirmed_at=now if confirmed else None)
    db.session.add(user)
    db.session.commit()
    return user


def set_role(user: User, role: str, *, actor: User | None = None) -> User:
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if actor is not None and actor.id == user.id and role != "admin":
        raise ValidationError("You cannot remove your own admin role.")
    user.role = role
    db.session.commit()
    return user


def set_active(user: User, active: bool, *, actor: User | None = None) -> User:
    if actor is not None and actor.id == user.id and not active:
        raise ValidationError("You cannot deactivate your own account.")
    user.active = active
    db.session.commit()
    return user


def find_users(query: str = "", role: str | None = None, *, page: int = 1, per_page: int = 50):
    """Search users by name, e-mail or organisation; returns a Flask-SQLAlchemy pagination."""
    stmt = select(User).order_by(User.name, User.id)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), User.email.like(like),
                              func.lower(User.organisation).like(like)))
    if role:
        stmt = stmt.where(User.role == role)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)

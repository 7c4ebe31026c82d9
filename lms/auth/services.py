"""Account rules: registration, confirmation, sign-in, password reset, profile, roles.

Services own the unit of work (one commit) and raise `lms.errors` exceptions with messages fit
for the user. Time is passed in.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms import clock, mail
from lms.auth.models import ROLES, SignInThrottle, User, UserSession, session_key_hash
from lms.auth.signals import legal_name_changed
from lms.dbtypes import DB_INT_MAX, get_or_not_found, rows_changed
from lms.errors import Conflict, ValidationError
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


MAX_PASSWORD = 200
#: The password rules in words, shown beside every new-password field.
PASSWORD_RULES = (f"At least {MIN_PASSWORD} characters (a short sentence works well), not your "
                  "e-mail address and not a common password.")

#: Characters that change how text around them reads: bidirectional overrides and isolates.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_name(value: str, label: str = "Your name") -> str:
    """A person's name, trimmed; refuses control characters, line breaks and bidi overrides
    (a name is printed on certificates and in e-mails, where those could forge text)."""
    for char in value.strip():
        if (unicodedata.category(char) in {"Cc", "Zl", "Zp"} or char in _BIDI_CONTROLS):
            raise ValidationError(f"{label} cannot contain line breaks, tabs or other control "
                                  "characters.")
    return value.strip()


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"Choose a password of at most {MAX_PASSWORD} characters.")
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
    return get_or_not_found(User, user_id, "No such user.")


# ---------------------------------------------------------------- registration


@dataclass
class Registration:
    name: str
    email: str
    password: str


def register(data: Registration, now: datetime) -> User | None:
    """Create a learner account and queue its confirmation e-mail.

    For an address that already has an account nothing is created: the owner is e-mailed
    ("you already have an account") and the caller answers exactly as for a new account, so
    the page never tells a stranger which addresses are registered. The same work (one
    password hash, one queued e-mail, one commit) is done either way, so neither does the time
    it takes. Returns the new user, or None when the address was taken.
    """
    email = normalise_email(data.email)
    name = check_name(data.name)
    if not name:
        raise ValidationError("Enter your name.")
    check_password_rules(data.password, email=email, name=name)
    password_hash = hash_password(data.password)
    existing = get_user_by_email(email)
    if existing is not None:
        _queue_already_registered(existing, now)
        db.session.commit()  # the e-mail is sent by a background task once this has committed
        return None
    user = User(email=email, name=name, password_hash=password_hash,
                role="learner", created_at=now)
    db.session.add(user)
    db.session.flush()
    _queue_confirmation(user, now)
    db.session.commit()  # the e-mail is sent by a background task once this has committed
    return user


# Account e-mails greet no one by name: a name is text its owner (or whoever registered with
# someone else's address) chose, and it must not read as the platform's own words.


def _queue_confirmation(user: User, now: datetime) -> mail.OutboxMessage:
    token = _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})
    link = mail.external_url("auth.confirm", token=token)
    hours = current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600
    body = ("Hello,\n\nPlease confirm your e-mail address for the Just Communities "
            f"AP learning platform by opening this link (valid for {hours} hours):\n\n{link}\n\n"
            "If you did not register, ignore this message.\n")
    return mail.queue(user.email, "Confirm your e-mail address", body, now)


def _queue_already_registered(user: User, now: datetime) -> mail.OutboxMessage:
    signin = mail.external_url("auth.signin")
    forgot = mail.external_url("auth.forgot_password")
    body = ("Hello,\n\nSomeone (perhaps you) tried to register on the Just Communities AP "
            "learning platform with this e-mail address, but you already have an account. "
            f"Sign in here:\n\n{signin}\n\nIf you have forgotten your password, choose a new "
            f"one here:\n\n{forgot}\n\nIf it was not you, ignore this message: nothing has "
            "changed.\n")
    return mail.queue(user.email, "You already have an account", body, now)


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


class AccountLocked(ValidationError):
    pass


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _throttle_for(email: str) -> SignInThrottle | None:
    return db.session.scalar(select(SignInThrottle)
                             .where(SignInThrottle.email_hash == _email_hash(email)))


def lock_delay(failures: int, *, after: int, base: int, cap: int) -> int:
    """Seconds an address stays locked after `failures` consecutive failed sign-ins: none
    before `after`, then `base` doubling with every further failure, never above `cap`."""
    if failures < after:
        return 0
    return min(cap, base * 2 ** min(failures - after, 32))


def _minutes(seconds: float) -> str:
    minutes = max(1, -(-int(seconds) // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _record_failure(email: str, user: User | None, now: datetime) -> None:
    """Count a failed sign-in for this address; lock it when the count says so (one commit)."""
    cfg = current_app.config
    # Counts older than a day are over: forget them (unknown addresses leave rows too).
    db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.updated_at < now - timedelta(days=1),
        SignInThrottle.email_hash != _email_hash(email)))
    throttle = _throttle_for(email)
    if throttle is None:
        throttle = SignInThrottle(email_hash=_email_hash(email), failures=0, updated_at=now)
        db.session.add(throttle)
    elif throttle.updated_at < now - timedelta(days=1):
        throttle.failures = 0  # a failure a day ago is not part of an attack going on now
    throttle.failures += 1
    throttle.updated_at = now
    delay = lock_delay(throttle.failures, after=cfg["SIGNIN_LOCK_AFTER"],
                       base=cfg["SIGNIN_LOCK_BASE"], cap=cfg["SIGNIN_LOCK_MAX"])
    if delay:
        throttle.locked_until = now + timedelta(seconds=delay)
        if throttle.failures == cfg["SIGNIN_LOCK_AFTER"] and user is not None:
            _queue_lock_notice(user, delay, now)
    db.session.commit()  # a lock notice is sent by a background task once this has committed


def _queue_lock_notice(user: User, delay: int, now: datetime) -> mail.OutboxMessage:
    forgot = mail.external_url("auth.forgot_password")
    body = ("Hello,\n\nThere have been several failed attempts to sign in to your Just "
            "Communities AP account with a wrong password, so signing in with this address is "
            f"paused for {_minutes(delay)} (longer if the attempts go on, at most "
            f"{_minutes(current_app.config['SIGNIN_LOCK_MAX'])} at a time).\n\n"
            "If it was you, wait and try again, or choose a new password here (that also ends "
            f"the pause):\n\n{forgot}\n\nIf it was not you, your password held; choosing a new, "
            "longer one is a good idea.\n")
    return mail.queue(user.email, "Failed sign-ins to your account", body, now)


def authenticate(email: str, password: str, now: datetime) -> User:
    """Return the user for these credentials or raise with a message that leaks nothing.

    Failed attempts are counted per address (see `SignInThrottle`): while an address is
    locked, even the right password is refused, with the time left.
    """
    user = get_user_by_email(email)
    throttle = _throttle_for(email)
    if throttle is not None and throttle.locked_until and throttle.locked_until > now:
        raise AccountLocked(
            "Too many failed sign-ins with this address. Try again in "
            f"{_minutes((throttle.locked_until - now).total_seconds())}, or reset your "
            "password.")
    # Hash the password even for an unknown address, so the reply takes as long either way
    # and its timing does not tell which addresses have accounts.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password) or user is None:
        _record_failure(email, user, now)
        raise ValidationError("Wrong e-mail address or password.")
    if not user.active:
        raise ValidationError("This account has been deactivated. Contact the registrar.")
    if not user.confirmed:
        raise UnconfirmedEmail("Confirm your e-mail address first: we have sent you a new link.")
    user.last_login_at = now
    if throttle is not None:
        db.session.delete(throttle)
    db.session.commit()
    return user


# ---------------------------------------------------------------- server-side sessions


def sign_in(email: str, password: str, now: datetime, *, remember: bool = False) -> User:
    """Check the credentials and open a server-side session for them (one commit).

    The returned user's `session_key` is the new session's secret; Flask-Login puts it in the
    session cookie (and the remember-me cookie) through `User.get_id`.
    """
    user = authenticate(email, password, now)
    return open_session(user, now, remember=remember)


def open_session(user: User, now: datetime, *, remember: bool = False) -> User:
    key = secrets.token_urlsafe(32)
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION"]
    db.session.execute(delete(UserSession).where(  # this user's sign-ins that have run out
        UserSession.user_id == user.id, UserSession.expires_at <= now))
    db.session.add(UserSession(user_id=user.id, key_hash=session_key_hash(key), remember=remember,
                               created_at=now, expires_at=now + lifetime))
    db.session.commit()
    user.session_key = key
    return user


#: The session row's user, built once: it runs on every signed-in request, and a statement
#: built afresh costs SQLAlchemy more than the query's round trip (its cache key is worked
#: out again each time).
_SESSION_AND_USER = (
    select(User, UserSession.expires_at).join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.key_hash == bindparam("key_hash"),
           UserSession.user_id == bindparam("user_id")))


def user_for_session(identity: str, now: datetime) -> User | None:
    """The active user whose live session `identity` ("<user id>:<session key>") names."""
    user_id, _, key = identity.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 10 and key
            and int(user_id) <= DB_INT_MAX):
        return None
    # One query for the session and its user: this runs on every signed-in request.
    found = db.session.execute(_SESSION_AND_USER, {"key_hash": session_key_hash(key),
                                                   "user_id": int(user_id)}).first()
    if found is None or found[1] <= now:
        return None
    user = found[0]
    if not user.active:
        return None
    user.session_key = key
    return user


def end_session(user: User) -> None:
    """Sign this browser out: its session row goes, so its cookies stop working."""
    if user.session_key:
        db.session.execute(delete(UserSession).where(
            UserSession.key_hash == session_key_hash(user.session_key)))
        db.session.commit()


def _end_sessions(user: User, *, keep: str | None = None) -> None:
    """Delete the user's sessions (all, or all but the one whose key is `keep`); no commit."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.key_hash != session_key_hash(keep))
    db.session.execute(stmt)


def end_all_sessions(user: User) -> None:
    """"Sign out everywhere": every browser and remember-me cookie of this user stops working."""
    _end_sessions(user)
    db.session.commit()


def purge_expired_sessions(now: datetime) -> int:
    """Delete session rows past their lifetime; returns how many went."""
    gone = rows_changed(db.session.execute(
        delete(UserSession).where(UserSession.expires_at <= now)))
    db.session.commit()
    return max(gone, 0)


# ---------------------------------------------------------------- password reset


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def request_password_reset(email: str, now: datetime) -> None:
    """Queue a reset link for a known, active account; silent otherwise (no account probing).

    The caller answers the same either way; the e-mail goes through the outbox."""
    user = get_user_by_email(email)
    if user is None or not user.active:
        return
    token = _serializer(RESET_SALT).dumps({"id": user.id, "pw": _password_fingerprint(user)})
    link = mail.external_url("auth.reset_password", token=token)
    minutes = current_app.config["RESET_TOKEN_MAX_AGE"] // 60
    body = ("Hello,\n\nSomeone asked to reset the password of your Just Communities "
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
    _end_sessions(user)  # whoever knew the old password is signed out everywhere
    throttle = _throttle_for(user.email)
    if throttle is not None:  # the owner proved the address: no more waiting
        db.session.delete(throttle)
    db.session.commit()
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    """Change the password; every other session of the user ends, this one stays."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationError("Your current password is not right.")
    check_password_rules(new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    _end_sessions(user, keep=user.session_key)
    db.session.commit()


# ---------------------------------------------------------------- profile

PROFILE_FIELDS = ("name", "legal_name", "organisation", "city", "country", "bio",
                  "directory_opt_in", "focus_areas")

#: Where the focus areas a member may choose come from: the programme's Pillars and
#: Commitments, which sit above auth; the app factory connects them (set_focus_area_source).
_focus_source: list[Callable[[], list[tuple[str, str]]]] = []


def set_focus_area_source(source: Callable[[], list[tuple[str, str]]]) -> None:
    _focus_source[:] = [source]


def focus_area_choices() -> list[tuple[str, str]]:
    """(key, name) of every focus area a member may choose (none until a source is set)."""
    return _focus_source[0]() if _focus_source else []


def focus_areas_value(keys) -> str:
    """The stored form of a list of focus-area keys; an unknown key is refused."""
    allowed = dict(focus_area_choices())
    chosen = [str(k) for k in (keys or [])]
    unknown = [k for k in chosen if k not in allowed]
    if unknown:
        raise ValidationError("Choose focus areas from the list.")
    ordered = [k for k in allowed if k in chosen]
    return "," + ",".join(ordered) + "," if ordered else ""


def update_profile(user: User, changes: dict) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown profile fields: {', '.join(sorted(unknown))}")
    if "name" in changes and not str(changes["name"]).strip():
        raise ValidationError("Your display name cannot be empty.")
    for key, label in (("name", "Your display name"), ("legal_name", "Your legal name"),
                       ("organisation", "Organisation"), ("city", "City"),
                       ("country", "Country")):
        if key in changes:
            check_name(str(changes[key]), label)
    legal_before = user.certificate_name
    if "focus_areas" in changes:
        changes = {**changes, "focus_areas": focus_areas_value(changes["focus_areas"])}
    for key, value in changes.items():
        setattr(user, key, value.strip() if isinstance(value, str) else bool(value))
    if user.certificate_name != legal_before:
        legal_name_changed.send(user, now=clock.now())
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
    name = check_name(name, "The name")
    if get_user_by_email(email) is not None:
        raise Conflict(f"An account for {email} already exists.")
    user = User(email=email, name=name or email, role=role,
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
    if not active:  # and reactivating later does not bring old sign-ins back
        _end_sessions(user)
    db.session.commit()
    return user


def find_users(query: str = "", role: str | None = None, *, page: int = 1, per_page: int = 50):
    """Search users by name, e-mail or organisation; returns a Flask-SQLAlchemy pagination."""
    stmt = select(User).order_by(User.name, User.id)
    if query:
        # % and _ are what the person typed, not wildcards (autoescape).
        term = query.strip().lower()
        stmt = stmt.where(or_(func.lower(User.name).contains(term, autoescape=True),
                              User.email.contains(term, autoescape=True),
                              func.lower(User.organisation).contains(term, autoescape=True)))
    if role:
        stmt = stmt.where(User.role == role)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)

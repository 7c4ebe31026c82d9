"""Configuration from environment variables.

Every setting has a safe default so that `make run` works on a fresh machine: SQLite in
`instance/`, a secret key generated into `instance/secret_key` on first run, rate limits kept
in memory and e-mail written to the log and the admin outbox.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_or_create_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, else from `instance/secret_key` (made once)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


#: The global network board's categories: the two Pillars, the five Commitments, and the
#: network's own rooms. Operators change them here (slugs appear in addresses: keep them).
COMMUNITY_CATEGORIES: tuple[dict, ...] = (
    {"slug": "racial-equity", "name": "Racial Equity",
     "description": "The Pillar of racial equity in organising, planning and building."},
    {"slug": "climate-resilience", "name": "Climate Resilience",
     "description": "The Pillar of climate resilience at the scale of a neighbourhood."},
    {"slug": "belonging", "name": "Belonging", "description": "The Commitment to belonging."},
    {"slug": "opportunity", "name": "Opportunity",
     "description": "The Commitment to opportunity."},
    {"slug": "wellbeing", "name": "Wellbeing", "description": "The Commitment to wellbeing."},
    {"slug": "mobility", "name": "Mobility", "description": "The Commitment to mobility."},
    {"slug": "environment", "name": "Environment",
     "description": "The Commitment to the environment."},
    {"slug": "jobs", "name": "Jobs & Opportunities",
     "description": "Openings, calls for proposals and collaborators wanted."},
    {"slug": "introductions", "name": "Introductions",
     "description": "Say hello: where you work and what you are building.",
     "anonymous": False},
    {"slug": "events", "name": "Events",
     "description": "Convenings, academies, circles, webinars and local meet-ups."},
)


class Config:
    """Production/development settings, read from the environment when the app is made."""

    def __init__(self, instance_path: str):
        self.SECRET_KEY = load_or_create_secret_key(instance_path)
        default_db = "sqlite:///" + str(Path(instance_path) / "lms.sqlite3")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or default_db
        )
        # A pooled connection is tested before each use only when DATABASE_PRE_PING is set: the
        # test costs a round trip on every request (a third of a page's). Without it, a dropped
        # connection fails one request and SQLAlchemy then renews the whole pool; connections
        # are also renewed every DATABASE_POOL_RECYCLE seconds.
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": _bool("DATABASE_PRE_PING"),
            "pool_recycle": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800"))}
        # GET and HEAD requests read without a transaction on PostgreSQL (lms/web.py).
        self.DATABASE_READ_AUTOCOMMIT = _bool("DATABASE_READ_AUTOCOMMIT", True)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto/-Host are
        # trusted, so rate limits count per visitor, not per proxy, and links use https.
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
        # The site's own address (https://ap.example.org): links in e-mails are built on it.
        self.BASE_URL = os.environ.get("BASE_URL", "").strip() or None
        # Host names the site answers to (comma-separated); other Host headers get 400.
        hosts = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
        self.TRUSTED_HOSTS = hosts or None
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "Just Communities AP <no-reply@justcommunities.example>"
        )
        self.MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
        # Background tasks (lms/tasks.py): unset broker = run them in-process.
        self.CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or None
        self.CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "").strip() or None
        self.CELERY_QUEUE = os.environ.get("CELERY_QUEUE", "lms")
        self.CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
        # File storage (lms/storage.py): unset = a folder (UPLOAD_DIR); s3://bucket/prefix = S3.
        self.STORAGE_URL = os.environ.get("STORAGE_URL", "").strip() or None
        self.STORAGE_ENDPOINT_URL = os.environ.get("STORAGE_ENDPOINT_URL", "").strip() or None
        self.DOWNLOAD_LINK_MAX_AGE = int(os.environ.get("DOWNLOAD_LINK_MAX_AGE", "300"))
        # Assignments: days after submission when authors see the peer reviews that are in,
        # and the share of shared five-word phrases above which a submission is flagged.
        self.ASSIGNMENT_REVIEW_DAYS = int(os.environ.get("ASSIGNMENT_REVIEW_DAYS", "7"))
        self.ASSIGNMENT_SIMILARITY_THRESHOLD = float(
            os.environ.get("ASSIGNMENT_SIMILARITY_THRESHOLD", "0.5"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # How long "keep me signed in" lasts. Also the most any sign-in lives on the server:
        # past it the session's row no longer signs anyone in, whatever cookie a browser keeps.
        self.REMEMBER_COOKIE_DURATION = timedelta(
            days=int(os.environ.get("REMEMBER_COOKIE_DAYS", "30")))
        # Largest request body accepted (413 beyond it); uploads set their own, smaller limits.
        self.MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_MB", "32")) * 1024 * 1024
        # Per-account sign-in back-off: after SIGNIN_LOCK_AFTER failures an address is locked
        # for SIGNIN_LOCK_BASE seconds, doubling with each further failure up to SIGNIN_LOCK_MAX.
        self.SIGNIN_LOCK_AFTER = int(os.environ.get("SIGNIN_LOCK_AFTER", "5"))
        self.SIGNIN_LOCK_BASE = int(os.environ.get("SIGNIN_LOCK_BASE", "60"))
        self.SIGNIN_LOCK_MAX = int(os.environ.get("SIGNIN_LOCK_MAX", "900"))
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.COURSES_DIR = os.environ.get("COURSES_DIR", "courses")
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads"))
        # CE audit draw: the seed makes it reproducible (change it yearly for a fresh draw).
        self.CE_AUDIT_SEED = os.environ.get("CE_AUDIT_SEED", "jc-ap-audit")
        self.CONFIRM_TOKEN_MAX_AGE = 60 * 60 * 48
        self.RESET_TOKEN_MAX_AGE = 60 * 60
        self.SIGNIN_RATE_LIMIT = os.environ.get("SIGNIN_RATE_LIMIT", "10 per minute")
        self.ACCOUNT_RATE_LIMIT = os.environ.get("ACCOUNT_RATE_LIMIT", "5 per minute")
        # Registration: refused submissions (typos) are counted per client and per address,
        # generously; accounts actually created are counted per client, strictly.
        self.REGISTER_FORM_RATE_LIMIT = os.environ.get("REGISTER_FORM_RATE_LIMIT",
                                                       "30 per 10 minutes")
        self.REGISTER_ADDRESS_RATE_LIMIT = os.environ.get("REGISTER_ADDRESS_RATE_LIMIT",
                                                          "15 per 10 minutes")
        self.REGISTER_CREATE_RATE_LIMIT = os.environ.get("REGISTER_CREATE_RATE_LIMIT",
                                                         "5 per hour")
        # Public verification (lms/verify): requests per client on lookups and on the API
        # (counted in RATELIMIT_STORAGE_URI, so shared between workers through Redis), and the
        # Open Badges issuer: its name and its signing key (a JWK file; unset: an ES256 key is
        # generated into instance/ob_issuer_key.jwk on first use).
        self.VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "120 per minute")
        self.VERIFY_BATCH_RATE_LIMIT = os.environ.get("VERIFY_BATCH_RATE_LIMIT", "20 per minute")
        self.VERIFY_UPLOAD_MAX_BYTES = int(os.environ.get("VERIFY_UPLOAD_MAX_MB", "10")) << 20
        self.OB_ISSUER_NAME = os.environ.get("OB_ISSUER_NAME", "Just Communities")
        self.OB_ISSUER_KEY_FILE = os.environ.get("OB_ISSUER_KEY_FILE", "").strip() or None
        # Public halves of rotated-out issuer keys, still published (unset:
        # instance/ob_retired_keys.jwks); `flask verify rotate-key` writes it.
        self.OB_RETIRED_KEYS_FILE = os.environ.get("OB_RETIRED_KEYS_FILE", "").strip() or None
        # Certificate signing (lms/credentials/signing.py, docs/operations.md): the
        # organisation's key as PKCS#12 or a PEM pair, its root CA, an optional TSA. Unset: a
        # development CA is generated into instance/signing/ on first use.
        self.CERT_SIGNING_PKCS12 = os.environ.get("CERT_SIGNING_PKCS12", "").strip() or None
        self.CERT_SIGNING_KEY = os.environ.get("CERT_SIGNING_KEY", "").strip() or None
        self.CERT_SIGNING_CERT = os.environ.get("CERT_SIGNING_CERT", "").strip() or None
        self.CERT_SIGNING_CHAIN = os.environ.get("CERT_SIGNING_CHAIN", "").strip() or None
        self.CERT_SIGNING_PASSWORD = os.environ.get("CERT_SIGNING_PASSWORD", "") or None
        self.CERT_TRUST_ROOTS = os.environ.get("CERT_TRUST_ROOTS", "").strip() or None
        self.CERT_TSA_URL = os.environ.get("CERT_TSA_URL", "").strip() or None
        self.CERT_SIGNING_LTV = _bool("CERT_SIGNING_LTV")
        # Caps on what one learner may be granted for one quiz, all grants together.
        self.QUIZ_MAX_EXTRA_MINUTES = int(os.environ.get("QUIZ_MAX_EXTRA_MINUTES", "240"))
        self.QUIZ_MAX_EXTRA_ATTEMPTS = int(os.environ.get("QUIZ_MAX_EXTRA_ATTEMPTS", "5"))
        # The shared cache (lms/cache.py): Redis when set (all workers share it), else one
        # in-process cache per worker. Entries are keyed by version, so either is correct.
        self.CACHE_REDIS_URL = (os.environ.get("CACHE_REDIS_URL", "").strip()
                                or os.environ.get("REDIS_URL", "").strip() or None)
        self.CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "lms:")
        # `make bench-http` only: every response carries X-Query-Count (SQL statements run).
        self.BENCH_QUERY_HEADER = _bool("BENCH_QUERY_HEADER")
        # Discussion boards: the network board's categories (slug, name, description, and
        # whether members may post anonymously to peers there); which other kinds of board
        # allow anonymous posts; links in a post above which it waits for a moderator; new
        # accounts (younger than the days) post at most so many times an hour.
        self.COMMUNITY_CATEGORIES = COMMUNITY_CATEGORIES
        self.COMMUNITY_ANONYMOUS_KINDS = {"course": True, "cohort": False}
        self.COMMUNITY_MAX_LINKS = int(os.environ.get("COMMUNITY_MAX_LINKS", "3"))
        self.COMMUNITY_NEW_ACCOUNT_DAYS = int(os.environ.get("COMMUNITY_NEW_ACCOUNT_DAYS", "7"))
        self.COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR = int(
            os.environ.get("COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR", "5"))


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, no real mail, fast hashing."""

    TESTING = True

    def __init__(self, instance_path: str, database_url: str | None = None):
        super().__init__(instance_path)
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            database_url
            or os.environ.get("LMS_TEST_DATABASE_URL")
            or "sqlite:///" + str(Path(instance_path) / "test.sqlite3")
        )
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = ""
        self.CELERY_BROKER_URL = None  # tasks run in-process
        self.CELERY_RESULT_BACKEND = None
        self.STORAGE_URL = None
        self.CACHE_REDIS_URL = None  # one in-process cache per app (tests set Redis explicitly)
        self.UPLOAD_DIR = str(Path(instance_path) / "uploads")
        self.SERVER_NAME = None
        self.BASE_URL = None  # links follow the test client's or live server's host
        self.TRUSTED_HOSTS = None
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashing for tests

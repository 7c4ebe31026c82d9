"""Extensions are made once here and bound to the app in `create_app`."""
from flask import Flask, current_app, g, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, MetaData, Select, event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import UpdateBase

# Named constraints keep Alembic revisions portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


#: Where a request's session keeps the engine it reads through (lms.web puts it in flask.g for
#: a GET or HEAD; the session takes it from there on its first statement, None once it writes).
READS = "lms.reads"
#: Where the app keeps that engine: the same database, connections in autocommit from birth.
READ_ENGINE = "lms.read_engine"


class Session(FlaskSession):
    """The app's ORM session. While `info[READS]` holds an engine (lms.web puts it there for a
    GET or HEAD on PostgreSQL), reads go through it: its connections are in autocommit for
    their whole life, so a read costs no BEGIN/ROLLBACK round trips and no switching of the
    connection's isolation level on every request. The first write (a flush, an INSERT/UPDATE/
    DELETE, a SELECT ... FOR UPDATE) drops it: from there the session works in a transaction
    on the main engine as always, so a state change made during a GET is still one
    transaction and sees what the request flushed."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        reads = self.info.get(READS, _ASK)
        if reads is _ASK:  # first statement: does the request read through the read engine?
            reads = self.info[READS] = g.get(READS) if has_app_context() else None
        if reads is not None and bind is None:
            if not (isinstance(clause, UpdateBase) or (
                    isinstance(clause, Select) and clause._for_update_arg is not None)):
                return reads
            self.info[READS] = None
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


#: Not decided yet (the session has run no statement).
_ASK = object()


@event.listens_for(Session, "before_flush")
def _writes_leave_the_read_engine(session, _flush_context, _instances) -> None:
    session.info[READS] = None


def read_engine(app: Flask) -> Engine | None:
    """The autocommit engine GET and HEAD requests read through (PostgreSQL only)."""
    return app.extensions.get(READ_ENGINE)


def engines() -> list[Engine]:
    """Every engine the current app talks to its database through (for statement counters)."""
    reads = read_engine(current_app)
    return [db.engine] if reads is None else [db.engine, reads]


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

"""The shared cache (Flask-Caching): what changes only on import or edit, kept between requests.

Redis when ``CACHE_REDIS_URL`` (or ``REDIS_URL``) is set, so every gunicorn worker and every
server shares one copy; an in-process cache otherwise (one per worker). Keys carry the version
of what they were built from (a course's revision number, a content hash), so an edit made
through any worker is seen by every other at once: the new version is a new key, and the old
entry simply ages out. Nothing here is ever the only copy of anything.

:class:`Watched` is the other kind of entry: what is read from tables that change at any time
(a credential's public status), kept only while no transaction writes those tables.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from itertools import chain
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from flask_caching import Cache
from sqlalchemy import Column, TextClause, event, orm
from sqlalchemy import inspect as sa_inspect

from lms.extensions import db

cache = Cache()

T = TypeVar("T")

#: How long an entry lives when nothing replaces it (seconds).
DEFAULT_TIMEOUT = 3600

_MISSING = object()
#: app.extensions key: the URL of the Redis every process shares as its cache (else None).
SHARED = "lms.cache_shared"
#: Where a session keeps the names of the tables its transaction wrote ("*": unknown).
WRITTEN = "lms.written_tables"
#: A raw SQL statement that only reads (comments before it allowed); any other may write.
_READ_SQL = re.compile(r"(\s+|--[^\n]*\n|/\*.*?\*/)*(SELECT|SHOW|EXPLAIN|VALUES)\b(?!.*\bINTO\b)",
                       re.IGNORECASE | re.DOTALL)
#: app.extensions key: the versioned entries this process keeps (remembered), newest last.
LOCAL = "lms.cache_local"
#: How many versioned entries a process keeps in memory.
LOCAL_MAX = 256
_local_lock = threading.Lock()
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    redis_url = app.config.get("CACHE_REDIS_URL")
    settings: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT,
        "CACHE_KEY_PREFIX": app.config.get("CACHE_KEY_PREFIX", "lms:"),
    }
    if app.config.get("CACHE_TYPE"):
        settings["CACHE_TYPE"] = app.config["CACHE_TYPE"]
    elif redis_url:
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    else:
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    cache.init_app(app, config=settings)
    app.extensions[LOCAL] = OrderedDict()
    # Redis, which every process shares: what Watched needs (its URL, else None).
    app.extensions[SHARED] = (settings.get("CACHE_REDIS_URL") or app.config.get("CACHE_REDIS_URL")
                              if settings["CACHE_TYPE"] in ("RedisCache", "redis") else None)


def remembered(key: str, build: Callable[[], T], timeout: int | None = None) -> T:
    """The cached value of `key`, else `build()` stored under it. `key` must name the version
    of its inputs (e.g. ``outline:<course id>:<revision>``): entries are never invalidated,
    only superseded, so the value is also kept in this process (the last LOCAL_MAX keys),
    where reading it costs neither a round trip to Redis nor unpickling. Callers must not
    change what they get. A cache that fails (Redis down) costs a rebuild, never an error."""
    local: OrderedDict[str, Any] = current_app.extensions[LOCAL]
    with _local_lock:
        found = local.get(key, _MISSING)
        if found is not _MISSING:
            local.move_to_end(key)
            return found  # type: ignore[no-any-return]
    try:
        found = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not break a page
        found = None
    if found is None:
        found = build()
        try:
            cache.set(key, found, timeout=timeout)
        except Exception:  # noqa: BLE001 - see above  # pragma: no cover
            log.warning("cache unavailable: %s not stored", key)
    with _local_lock:
        local[key] = found
        if len(local) > LOCAL_MAX:
            local.popitem(last=False)
    return found  # type: ignore[no-any-return]


def keep(memo: dict[Any, Any], key: Any, value: Any, most: int) -> None:
    """Put `value` in a per-process memo of at most `most` entries, emptied when full (what
    it holds is cheap to make again; a flood of distinct keys only costs a fresh start)."""
    if len(memo) >= most:
        memo.clear()
    memo[key] = value


def clear() -> None:
    """Empty the app's cache, shared and local (tests, whose emptied tables reuse ids)."""
    cache.clear()
    with _local_lock:
        current_app.extensions[LOCAL].clear()


# --------------------------------------------------------------------------- watched entries

_watches: list[Watched] = []


class Watched:
    """Values read from `tables`, kept in each process while no transaction writes any of
    those tables.

    A token in Redis stands for the tables' current state. Every transaction that writes one
    of them (through the ORM's unit of work, or a statement that writes run by a session), in
    any process (a web worker, the CLI, a task worker), replaces the token right after its
    COMMIT (not a savepoint's) and announces it on a Redis channel. Each process keeps the
    token it read and its values under that token; it reads the channel (without waiting)
    before every use, so a change shows on the next request whichever worker answers it, and
    a value is built (from the database) at most once per process and token. The token is
    read before the database, so a value read while a write commits is kept under the token
    that write replaces.

    Writes must go through a session (as every write in this code base does): a statement run
    on a bare Connection, or the legacy ``bulk_*`` methods, are not seen. Only with Redis as
    the cache: with the in-process default nothing tells one worker what another wrote, so
    :meth:`fetch` always builds. When Redis or the subscription fails, it builds too (and
    tries Redis again RETRY_AFTER seconds later); a token is read again at least every
    TOKEN_RECHECK seconds in case a subscription died unnoticed. A value is kept at most
    `max_age` seconds: the bound for a change made outside the app (psql, a migration, a
    restored backup), which nothing announces.
    """

    def __init__(self, name: str, tables: Collection[str], max_age: float,
                 columns: Mapping[str, Collection[str]] | None = None, size: int = 4096) -> None:
        self.name = name
        self.tables = frozenset(tables)
        #: For a table named here, an UPDATE of other columns changes nothing (the users' sign-in
        #: time for a lookup that reads only their names); rows added or removed still do.
        self.columns = {table: frozenset(names) for table, names in (columns or {}).items()}
        self.max_age = max_age
        self.size = size
        _watches.append(self)

    def changed_by(self, written: set[str]) -> bool:
        """Whether a transaction that wrote `written` ("table", "table.column" for an UPDATE
        of that column, "*" for anything) changed what this reads."""
        if "*" in written or not self.tables.isdisjoint(written):
            return True
        for name in written:
            table, _, column = name.partition(".")
            if column and table in self.tables and (
                    table not in self.columns or column in self.columns[table]):
                return True
        return False

    def fetch(self, key: str, build: Callable[[], T]) -> T:
        """The value kept under `key` (which names every other input's version, such as the
        day) while the tables are unchanged; else `build()`, kept. A session whose
        transaction has written (or is about to write) anything reads the database."""
        if db.session.registry.has() and _writing(db.session()):
            return build()
        listener = _listener()
        if listener is None:
            return build()
        return listener.fetch(self, key, build)


#: The clock of the values' ages and the retries (a test moves it).
_seconds = time.monotonic
#: Seconds between two reads of a token that no announcement replaced.
TOKEN_RECHECK = 5.0
#: Seconds before a process tries Redis again after it failed.
RETRY_AFTER = 5.0
#: Seconds a Redis command may take before Watched gives up on it (a commit waits for its
#: announcement: a hung Redis must not hang every write).
REDIS_TIMEOUT = 1.0
#: app.extensions keys: this process's _Listener (or the time to try again), its Redis client.
LISTENER = "lms.cache_listener"
CLIENT = "lms.cache_client"
_listener_lock = threading.Lock()


def _names(prefix: str) -> tuple[str, str]:
    """(the tokens' key prefix, the announcements' channel) under the app's cache prefix."""
    return f"{prefix}watched:token:", f"{prefix}watched"


def _client() -> Any:
    """This process's own Redis client for Watched (short timeouts), made after any fork."""
    found = current_app.extensions.get(CLIENT)
    if found is not None and found[0] == os.getpid():
        return found[1]
    import redis  # the production extra: only imported when Redis is configured

    client = redis.Redis.from_url(current_app.extensions[SHARED], socket_timeout=REDIS_TIMEOUT,
                                  socket_connect_timeout=REDIS_TIMEOUT)
    current_app.extensions[CLIENT] = (os.getpid(), client)
    return client


class _Listener:
    """One process's tokens and values, and its subscription to the announcements."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.pid = os.getpid()
        self.client = client
        self.token_prefix, channel = _names(prefix)
        self.subscription = client.pubsub()
        self.subscription.subscribe(channel)
        deadline = time.monotonic() + REDIS_TIMEOUT
        while (message := self.subscription.get_message(timeout=0.1)) is None or (
                message["type"] != "subscribe"):
            if time.monotonic() > deadline:
                raise TimeoutError("Redis did not confirm the subscription")
        self.tokens: dict[str, tuple[bytes, float]] = {}
        self.values: dict[str, OrderedDict[str, tuple[bytes, Any, float]]] = {}
        self.lock = threading.RLock()
        # redis-py reconnects and subscribes again on its own: what was announced in between
        # is lost, so after a reconnection every token is read again.
        self.reconnected = False
        self.subscription.connection.register_connect_callback(self._connected)

    def _connected(self, _connection: Any) -> None:
        self.reconnected = True

    def fetch(self, watched: Watched, key: str, build: Callable[[], T]) -> T:
        with self.lock:
            try:
                token = self._token(watched)
            except Exception as exc:  # noqa: BLE001 - Redis failed: read the database
                _drop_listener(self, exc)
                return build()
            values = self.values.setdefault(watched.name, OrderedDict())
            kept = values.get(key)
            if kept is not None and kept[0] == token and _seconds() < kept[2]:
                values.move_to_end(key)
                return kept[1]  # type: ignore[no-any-return]
        value = build()
        with self.lock:
            values[key] = (token, value, _seconds() + watched.max_age)
            values.move_to_end(key)
            if len(values) > watched.size:
                values.popitem(last=False)
        return value

    def _token(self, watched: Watched) -> bytes:
        while (message := self.subscription.get_message(timeout=0.0)) is not None:
            if message["type"] == "message":
                self.tokens.pop(message["data"].decode(), None)
        if self.reconnected:
            self.reconnected = False
            self.tokens.clear()
        kept = self.tokens.get(watched.name)
        if kept is not None and _seconds() - kept[1] < TOKEN_RECHECK:
            return kept[0]
        key = self.token_prefix + watched.name
        token = self.client.get(key)
        if token is None:  # the first use (or Redis started afresh); another process may win
            self.client.set(key, uuid.uuid4().hex, nx=True)
            token = self.client.get(key)
            if token is None:
                raise ConnectionError("the token could not be stored")
        self.tokens[watched.name] = (token, _seconds())
        return token  # type: ignore[no-any-return]

    def forget(self, name: str) -> None:
        with self.lock:
            self.tokens.pop(name, None)

    def close(self) -> None:
        with self.lock:
            try:
                self.subscription.close()
            except Exception as exc:  # noqa: BLE001 - it is being dropped because it failed
                log.debug("cache: closing the subscription: %s", exc)


def _listener() -> _Listener | None:
    """This process's listener: made on first use (after gunicorn forks), None while Redis is
    not the cache or cannot be reached."""
    if not current_app.extensions.get(SHARED):
        return None
    found = current_app.extensions.get(LISTENER)
    if isinstance(found, _Listener) and found.pid == os.getpid():
        return found
    if isinstance(found, float) and _seconds() < found:
        return None
    with _listener_lock:
        found = current_app.extensions.get(LISTENER)  # another thread may have made it
        if isinstance(found, _Listener) and found.pid == os.getpid():
            return found
        try:
            made = _Listener(_client(), current_app.config.get("CACHE_KEY_PREFIX", "lms:"))
        except Exception as exc:  # noqa: BLE001 - no Redis: every value is built
            log.warning("cache: no Redis subscription (%s); reading the database", exc)
            current_app.extensions[LISTENER] = _seconds() + RETRY_AFTER
            return None
        current_app.extensions[LISTENER] = made
        return made


def _drop_listener(listener: _Listener, exc: Exception) -> None:
    log.warning("cache: Redis subscription lost (%s); reading the database", exc)
    with _listener_lock:
        if current_app.extensions.get(LISTENER) is listener:
            current_app.extensions[LISTENER] = _seconds() + RETRY_AFTER
    listener.close()


def _renew(names: Collection[str]) -> None:
    """Replace the tokens of `names` and announce it (after a COMMIT that wrote their
    tables), in one round trip on this process's own client, whatever its listener's state."""
    token_prefix, channel = _names(current_app.config.get("CACHE_KEY_PREFIX", "lms:"))
    found = current_app.extensions.get(LISTENER)
    if isinstance(found, _Listener) and found.pid == os.getpid():
        for name in names:  # this process's next use reads the new token
            found.forget(name)
    try:
        pipe = _client().pipeline(transaction=False)
        for name in names:
            pipe.set(token_prefix + name, uuid.uuid4().hex)
            pipe.publish(channel, name)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - the others' copies then age out (max_age)
        log.warning("cache: could not announce a change to %s (%s)", ", ".join(names), exc)


def _writing(session: orm.Session) -> bool:
    return bool(session.info.get(WRITTEN) or session.new or session.dirty or session.deleted)


def _written(session: orm.Session) -> set[str]:
    found: set[str] = session.info.setdefault(WRITTEN, set())
    return found


@event.listens_for(orm.Session, "after_flush")
def _note_flushed_tables(session: orm.Session, _flush_context: Any) -> None:
    if not _watches:  # new, dirty and deleted still list what this flush wrote
        return
    written = _written(session)
    for instance in chain(session.new, session.deleted):
        written.update(table.name for table in orm.object_mapper(instance).tables)
    for instance in session.dirty:  # an UPDATE: of which columns
        state = sa_inspect(instance)
        changed = [f"{column.table.name}.{column.name}" for attr in state.mapper.column_attrs
                   if state.attrs[attr.key].history.has_changes()
                   for column in attr.columns if isinstance(column, Column)]
        # none seen (a key set through a relationship during the flush): the whole row
        written.update(changed or (table.name for table in state.mapper.tables))


@event.listens_for(orm.Session, "do_orm_execute")
def _note_statement_tables(state: orm.ORMExecuteState) -> None:
    if not _watches:
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(getattr(state.statement, "table", None), "name", None) or "*"
        values = getattr(state.statement, "_values", None) if state.is_update else None
        if values and table != "*" and not state.parameters:  # UPDATE ... SET these columns
            _written(state.session).update(f"{table}.{getattr(key, 'key', key)}" for key in values)
        else:
            _written(state.session).add(table)
    elif isinstance(state.statement, TextClause) and not _READ_SQL.match(state.statement.text):
        _written(state.session).add("*")  # raw SQL that is not a plain read: any table


@event.listens_for(orm.Session, "after_commit")
def _renew_watched(session: orm.Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the COMMIT is yet to come
        return
    written = session.info.pop(WRITTEN, None)
    if not written or not has_app_context() or not current_app.extensions.get(SHARED):
        return
    names = [w.name for w in _watches if w.changed_by(written)]
    if names:
        _renew(names)


@event.listens_for(orm.Session, "after_rollback")
def _forget_written(session: orm.Session) -> None:
    if not session.in_nested_transaction():  # (after a savepoint's, what came before stays)
        session.info.pop(WRITTEN, None)

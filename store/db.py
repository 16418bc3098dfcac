"""The database handle: one peewee proxy, bound at start from the configured URL."""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import functools
import select
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar, cast

import peewee
import psycopg2.extensions
from playhouse.pool import PooledPostgresqlDatabase

database = peewee.DatabaseProxy()

M = TypeVar("M", bound=peewee.Model)
M_co = TypeVar("M_co", bound=peewee.Model, covariant=True)
#: ``(sql, params)``: one statement for ``run_together``.
Statement = tuple[str, Sequence[object]]


class Pool(PooledPostgresqlDatabase):
    """peewee's pool checks every connection it hands out with ``SELECT 1``, under the
    pool's lock: each request waited for a round trip behind every other.  An idle
    connection whose socket is readable was hung up by the server (restart, proxy cut):
    discard it; otherwise hand it out, and a failure on it is a 503 like any other."""

    def _is_closed(self, conn: psycopg2.extensions.connection) -> bool:
        if conn.closed:
            return True
        status = conn.info.transaction_status
        if status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN:
            return True
        if status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            try:
                conn.rollback()
            except psycopg2.Error:
                return True
            return False
        return bool(select.select([conn], [], [], 0)[0])

    # A transaction's BEGIN goes out with its first statement ("BEGIN;SELECT ..."): one
    # round trip fewer per transaction, and every round trip costs CPU on both sides.
    def begin(self, isolation_level: str | None = None) -> None:
        if isolation_level:
            super().begin(isolation_level)
            return
        if self.is_closed():  # connect now, as BEGIN did: connecting later would reset the transaction stack
            self.connect()
        self._state.begin_on = self._state.conn  # the connection the BEGIN is owed to

    def take_begin(self) -> str:
        """``"BEGIN;"`` when this thread's transaction has not been sent yet (it is now), else ``""``."""
        if getattr(self._state, "begin_on", None) is None:
            return ""
        owed, self._state.begin_on = self._state.begin_on is self._state.conn, None
        return "BEGIN;" if owed else ""

    def owes_begin(self) -> bool:
        """Whether this thread's transaction has sent nothing yet (its BEGIN is still owed)."""
        return getattr(self._state, "begin_on", None) is not None and self._state.begin_on is self._state.conn

    def execute_sql(self, sql: str, params: Sequence[object] | None = None) -> psycopg2.extensions.cursor:
        return super().execute_sql(self.take_begin() + sql, params)

    def commit(self) -> None:
        if getattr(self._state, "committed_on", None) is not None:
            sent, self._state.committed_on = self._state.committed_on is self._state.conn, None
            if sent:  # run_together(commit=True) sent the COMMIT with the last statements
                return
        if not self.take_begin():  # nothing was sent: nothing to commit
            super().commit()

    def sent_commit(self) -> None:
        """This thread's transaction was committed by its last statements: its own COMMIT sends nothing."""
        self._state.committed_on = self._state.conn

    def rollback(self) -> None:
        if not self.take_begin():
            super().rollback()


class DatabaseUnavailable(Exception):
    """Postgres (or SQLite) cannot be reached; callers answer 503 and write nothing."""


def open_database(url: str, max_connections: int = 32) -> peewee.Database:
    """Open (lazily) the database at ``url`` and bind the models' proxy to it.

    Parameters:
      url: ``postgresql://user:pass@host:port/name`` or ``sqlite:///path`` (``sqlite:///:memory:``).
      max_connections: Pool size per process for Postgres; connections are reused, never
        opened per request.

    Returns:
      The peewee database, also bound to ``store.db.database``.
    """
    parsed = urllib.parse.urlparse(url)
    db: peewee.Database
    if parsed.scheme in ("postgres", "postgresql"):
        params = dict(urllib.parse.parse_qsl(parsed.query))
        db = Pool(
            parsed.path.lstrip("/"),
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=urllib.parse.unquote(parsed.username or "") or None,
            password=urllib.parse.unquote(parsed.password or "") or None,
            max_connections=max_connections,
            stale_timeout=300,
            timeout=10,
            connect_timeout=int(params.pop("connect_timeout", 3)),
            **params,
        )
    elif parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] or ":memory:"
        # WAL + busy timeout: the dev server's threads write concurrently.
        db = peewee.SqliteDatabase(
            path,
            check_same_thread=False,
            lock_type="IMMEDIATE",
            pragmas={"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1},
        )
    else:
        raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")
    database.initialize(db)
    return db


def is_postgres(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.PostgresqlDatabase)


def locked(query: peewee.ModelSelect[M], skip_locked: bool = False) -> peewee.ModelSelect[M]:
    """``SELECT ... FOR UPDATE`` on Postgres; SQLite serializes writers by itself."""
    return query.for_update(skip_locked=skip_locked or None) if is_postgres() else query


def try_lock(key: int) -> bool:
    """A transaction-scoped advisory lock on Postgres (True when taken); SQLite: always True."""
    if not is_postgres():
        return True
    return bool(database.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()[0])


@functools.cache
def _insert_sql(model: type[peewee.Model], param: str) -> str:
    fields = _insert_fields(model)
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({", ".join([param] * len(fields))})'


@functools.cache
def _insert_fields(model: type[peewee.Model]) -> list[peewee.Field]:
    return [f for f in model._meta.sorted_fields if not isinstance(f, peewee.AutoField)]


def insert_statement(instance: peewee.Model) -> Statement:
    """``(sql, params)`` inserting ``instance`` (a model built with every value set),
    for ``run_together``.  The SQL is built once per model: on the ingress's hot path
    peewee's query generation cost more than the round trip."""
    model: type[peewee.Model] = type(instance)
    return _insert_sql(model, database.param), [
        f.db_value(instance.__data__.get(f.name)) for f in _insert_fields(model)
    ]


@functools.lru_cache(maxsize=512)
def _update_sql(model: type[peewee.Model], names: tuple[str, ...], param: str) -> str:
    fields = model._meta.fields
    columns = ", ".join(f'"{fields[name].column_name}" = {param}' for name in names)
    table, key = model._meta.table_name, _primary_key(model).column_name
    return f'UPDATE "{table}" SET {columns} WHERE ("{table}"."{key}" = {param})'


def _primary_key(model: type[peewee.Model]) -> peewee.Field:
    return cast(peewee.Field, model._meta.primary_key)  # every model here has one (False without)


def update_statement(instance: peewee.Model) -> Statement:
    """``(sql, params)`` saving the changed fields of ``instance`` (a row with its primary key), for
    ``run_together``; they count as saved from now on.  The SQL is built once per model and set of
    changed fields (peewee's generation cost a worker more than the round trip)."""
    model: type[peewee.Model] = type(instance)
    fields = instance.dirty_fields
    params = [field.db_value(instance.__data__.get(field.name)) for field in fields]
    params.append(_primary_key(model).db_value(instance.get_id()))
    mark_saved(instance)
    return _update_sql(model, tuple(field.name for field in fields), database.param), params


@functools.lru_cache(maxsize=64)
def _row_reader(
    model: type[peewee.Model], columns: tuple[str, ...]
) -> tuple[list[tuple[int, str, Callable[[object], object]]], list[tuple[int, str]]]:
    """``(fields, others)``: the columns that are fields of ``model`` as ``(index, field name, converter)``,
    the others as ``(index, column name)``."""
    by_column = {field.column_name: field for field in model._meta.sorted_fields}
    fields = [
        (i, by_column[c].name, by_column[c].python_value) for i, c in enumerate(columns) if c in by_column
    ]
    return fields, [(i, c) for i, c in enumerate(columns) if c not in by_column]


def fetch_model(model: type[M], sql: str, params: Sequence[object]) -> tuple[M, dict[str, Any]]:
    """The first row of ``sql`` as a ``model`` instance (the columns that are its fields, each converted as
    peewee converts it), and its other columns by name: ``model.raw(sql, *params).get()`` without peewee's
    set-up of every query (a worker reads a locked payment this way twice per charge).

    Raises:
      model.DoesNotExist: no row.
    """
    cursor = database.execute_sql(sql, params)
    row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"no {model.__name__} for {params}")  # type: ignore[attr-defined]
    fields, others = _row_reader(model, tuple(column[0] for column in cursor.description))
    instance = model(__no_default__=1)
    instance.__data__ = {name: convert(row[i]) for i, name, convert in fields}
    return instance, {name: row[i] for i, name in others}


def mark_saved(instance: peewee.Model) -> None:
    """``instance``'s fields count as saved, as after its ``save()`` (its next save names what changes
    after this)."""
    instance._dirty.clear()  # type: ignore[attr-defined]  # peewee's own, left out of its stubs


def run_together(statements: Iterable[Statement], whole: bool = False, commit: bool = False) -> int:
    """Run ``[(sql, params), ...]`` all or nothing.

    On Postgres they go in one round trip: outside a transaction the server runs a
    multi-statement query as one implicit transaction; inside one they join it.
    SQLite runs them one by one in a transaction (or savepoint).

    Parameters:
      whole: They are all the open transaction writes: when it has sent nothing yet they go
        without its BEGIN, as one implicit transaction, and its COMMIT has nothing to send.
      commit: They are the open transaction's last: its COMMIT goes with them (Postgres; the
        transaction's own commit then sends nothing). Only for the outermost transaction.

    Returns:
      The row count of the last statement (-1 with ``commit``: the COMMIT's).
    """
    if not is_postgres():
        with database.atomic():
            for sql, params in statements:
                rows = database.execute_sql(sql, params).rowcount
        return rows
    with peewee.__exception_wrapper__:  # type: ignore[attr-defined]  # peewee's own, left out of its stubs
        cursor = database.cursor()
        begin = b"" if whole and database.owes_begin() else database.take_begin().encode()
        batch = begin + b";".join(cursor.mogrify(sql, params) for sql, params in statements)
        if not commit:
            cursor.execute(batch)
            return cursor.rowcount
        cursor.execute(batch + b";COMMIT")
        database.obj.sent_commit()
        return -1


_prepared: dict[tuple[str, type], tuple[type[peewee.Model], str]] = {}


class Rows(Protocol[M_co]):
    """What ``prepared`` answers: its rows, or the first one (``get``)."""

    def __iter__(self) -> Iterator[M_co]: ...

    def get(self) -> M_co: ...


def prepared(name: str, build: Callable[[], peewee.ModelSelect[M]], *params: object) -> Rows[M]:
    """The SELECT ``build()`` returns, run with ``params`` in place of its own.

    Its SQL is generated once per database kind: for the worker's per-payment queries
    (the payment's thirty columns, its attempts) peewee's generation cost more than the
    round trip.  ``build`` must use one placeholder per value of ``params``, in order.

    Returns:
      A raw model query (iterate it, or ``.get()``).
    """
    key = (name, type(database.obj))
    if key not in _prepared:
        query = build()
        _prepared[key] = (query.model, query.sql()[0])
    model, sql = _prepared[key]
    # peewee's stubs type raw rows as plain ``Model``s: they are ``build()``'s model.
    return cast(Rows[M], model.raw(sql, *params))


def streamed(query: peewee.Select, batch: int = 1000) -> Iterator[tuple]:
    """The rows of ``query`` as tuples, read ``batch`` at a time on a connection of its own
    (opened here, closed when the rows end or the caller closes the generator), in one read-only
    transaction: a consistent snapshot however long the reader takes.

    On Postgres a server-side (named) cursor holds the result, so memory stays flat whatever the row
    count; SQLite steps its statement as rows are read.
    """
    with database.connection_context(), database.atomic():
        if not is_postgres():
            yield from query.tuples().iterator()
            return
        sql, params = query.sql()
        database.execute_sql("SET TRANSACTION READ ONLY")  # also sends the transaction's deferred BEGIN
        # peewee keeps psycopg2 in autocommit mode, where it refuses a named cursor without WITH HOLD,
        # even inside a transaction; closed before the commit, the cursor is never spooled.
        cursor = database.connection().cursor(name=f"streamed_{uuid.uuid4().hex}", withhold=True)
        cursor.itersize = batch
        try:
            cursor.execute(sql, params)
            yield from cursor
        finally:
            cursor.close()

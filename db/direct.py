"""Statements run straight on the driver's connection: the webhooks' hot path.

A menu step writes two or three small rows. Through SQLAlchemy's execution layer each statement
cost about 50 µs of Python around 5-10 µs of SQLite (or one PostgreSQL round trip), more than
the step's own work. A `Direct` statement is written with Core (or `text()`) like any other,
compiled once per dialect, and then executed with the driver's cursor: the SQL, the parameter
order and the column types' conversions (UTC timestamps on SQLite) are SQLAlchemy's own, so
what is stored is the same as through a Session.

    _MOVE = Direct(update(calls).where(...).returning(calls.c.id))
    with step_connection() as conn:
        call_id = conn.scalar(_MOVE, {"call_sid": sid, ...})
        conn.commit()
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Engine
from sqlalchemy.sql.expression import Executable

Processor = Callable[[Any], Any]


_REQUIRED = object()


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Each parameter: its name, its type's conversion (or None) and the statement's own value
    # (a literal written into it; _REQUIRED when the caller must give it). In the driver's
    # order for positional drivers (SQLite); by name otherwise (psycopg).
    binds: tuple[tuple[str, Processor | None, Any], ...]
    positional: bool
    row: type | None  # a named tuple of the result's columns
    results: tuple[Processor | None, ...]

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        values = [given[name] if default is _REQUIRED or name in given else default
                  for name, _, default in self.binds]
        values = [v if process is None or v is None else process(v)
                  for v, (_, process, _) in zip(values, self.binds, strict=True)]
        if self.positional:
            return values
        return {name: v for (name, _, _), v in zip(self.binds, values, strict=True)}


class Direct:
    """A Core statement, compiled once per dialect, executed on a DBAPI cursor."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        key = dialect.name
        if key not in self._by_dialect:
            self._by_dialect[key] = self._compile(dialect)
        return self._by_dialect[key]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        # A positional statement names a parameter once per place it is used.
        names = (compiled.positiontup or []) if dialect.positional else list(compiled.binds)
        binds = []
        for name in names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((name, process, _REQUIRED if bind.required else bind.effective_value))
        columns = list(getattr(self.statement, "selected_columns", None)
                       or getattr(self.statement, "exported_columns", None) or [])
        row = namedtuple("Row", [c.key for c in columns]) if columns else None
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        return _Compiled(str(compiled), tuple(binds), dialect.positional, row, results)


class Connection:
    """A pooled DBAPI connection and its dialect, with the few calls the hot path needs."""

    def __init__(self, dbapi: Any, dialect: Dialect) -> None:
        self.dbapi = dbapi
        self.dialect = dialect

    def execute(self, statement: Direct, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run the statement; its rows (named tuples, values converted by the column types)."""
        c = statement.compiled(self.dialect)
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(c.sql, c.parameters(params or {}))
            if c.row is None or cursor.description is None:
                return []
            raw = cursor.fetchall()
        finally:
            cursor.close()
        if any(c.results):
            raw = [[p(v) if p else v for p, v in zip(c.results, r, strict=True)] for r in raw]
        return [c.row._make(r) for r in raw]

    def first(self, statement: Direct, params: Mapping[str, Any] | None = None) -> Any | None:
        rows = self.execute(statement, params)
        return rows[0] if rows else None

    def scalar(self, statement: Direct, params: Mapping[str, Any] | None = None) -> Any | None:
        row = self.first(statement, params)
        return row[0] if row is not None else None

    def executemany(self, statement: Direct, rows: Sequence[Mapping[str, Any]]) -> None:
        c = statement.compiled(self.dialect)
        cursor = self.dbapi.cursor()
        try:
            cursor.executemany(c.sql, [c.parameters(r) for r in rows])
        finally:
            cursor.close()

    def commit(self) -> None:
        self.dbapi.commit()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection from the engine's pool (its checkout checks and its dialect's setup apply),
    returned when the block ends; what was not committed is then rolled back (on an autocommit
    engine, such as PostgreSQL's step engine, each statement is committed as it runs)."""
    dbapi = engine.raw_connection()
    try:
        yield Connection(dbapi, engine.dialect)
    finally:
        dbapi.close()

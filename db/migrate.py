"""Alembic, driven from code: `upgrade(url)` brings any database to the latest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def is_current(url: str, timeout_s: int = 5) -> bool:
    """Whether the database answers and is at the latest schema (False for an empty one).
    Raises the driver's error when it cannot be reached."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    wait = {} if url.startswith("sqlite") else {"connect_timeout": timeout_s}
    engine = create_engine(url, connect_args=wait)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads()) == heads
    finally:
        engine.dispose()

"""Jobline storage: SQLAlchemy models, engine and sessions, Alembic migrations."""

"""callback wrap-up: callbacks.wrapped_at, notes and disposition, for the adviser's after-call work

A callback conversation now ends in after-call work on the desk, as a queue call does: the
adviser writes notes, chooses a disposition and presses Done. Callbacks completed before the
upgrade count as wrapped up when they ended, so no adviser finds an old one waiting for Done.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callbacks') as batch:
        batch.add_column(sa.Column('wrapped_at', db.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch.add_column(sa.Column('disposition', sa.String(length=32), nullable=True))
    op.create_index('ix_callbacks_agent_open', 'callbacks', ['agent_id', 'wrapped_at'])
    callbacks = sa.table('callbacks', sa.column('status', sa.String),
                         sa.column('completed_at', db.models.UTCDateTime(timezone=True)),
                         sa.column('wrapped_at', db.models.UTCDateTime(timezone=True)))
    op.execute(callbacks.update().where(callbacks.c.status == 'completed')
               .values(wrapped_at=callbacks.c.completed_at))


def downgrade() -> None:
    op.drop_index('ix_callbacks_agent_open', table_name='callbacks')
    with op.batch_alter_table('callbacks') as batch:
        batch.drop_column('disposition')
        batch.drop_column('notes')
        batch.drop_column('wrapped_at')

"""queueing: a callback keeps its place in line (enqueued_at, priority, language)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:50:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        # Existing rows (none in production yet) take their request time as their place.
        batch_op.add_column(sa.Column('enqueued_at', db.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    op.execute("UPDATE callbacks SET enqueued_at = requested_at WHERE enqueued_at IS NULL")
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.alter_column('enqueued_at', existing_type=db.models.UTCDateTime(timezone=True),
                              nullable=False)
        batch_op.create_index('ix_callbacks_waiting', ['queue', 'status', 'priority', 'enqueued_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_waiting')
        batch_op.drop_column('language')
        batch_op.drop_column('priority')
        batch_op.drop_column('enqueued_at')

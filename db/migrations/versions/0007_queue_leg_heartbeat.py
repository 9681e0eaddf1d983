"""queue leg heartbeat: queue_entries.seen_at, when the hold loop last served the waiting caller

Twilio requests the wait URL again every time its document ends (under a minute), so a waiting
leg not seen for minutes belongs to a caller who is gone without Twilio telling us; the worker's
sweep (ivr/lost_calls.py) closes such legs. Legs waiting at the upgrade count as seen
then, so a caller on hold across it is not closed before the hold loop serves them again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:45:00
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
import db.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_entries') as batch:
        batch.add_column(sa.Column('seen_at', db.models.UTCDateTime(timezone=True), nullable=True))
    legs = sa.table('queue_entries', sa.column('status', sa.String),
                    sa.column('seen_at', db.models.UTCDateTime(timezone=True)))
    op.execute(legs.update().where(legs.c.status == 'waiting').values(seen_at=datetime.now(UTC)))


def downgrade() -> None:
    with op.batch_alter_table('queue_entries') as batch:
        batch.drop_column('seen_at')

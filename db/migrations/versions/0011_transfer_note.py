"""transfer note: what the adviser who transferred a caller tells the next one

queue_entries.transfer_note sits on the new leg a transfer starts (transferred_from_id points
at the leg it came from, whose adviser and queue say who transferred and from where). Free text
about the caller, cleared with the notes by retention and erasure.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_entries') as batch:
        batch.add_column(sa.Column('transfer_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queue_entries') as batch:
        batch.drop_column('transfer_note')

"""offers: callers of offer-mode queues rung on one adviser's desk at a time (issue 16)

One row per offer of a caller (queue leg) or a due callback to an adviser, with its outcome.
Partial unique indexes keep at most one open offer per caller, per callback and per adviser,
so concurrent web processes cannot double-offer.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        'offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('callback_id', sa.Integer(), nullable=True),
        sa.Column('queue', sa.String(length=32), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('offered_at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_away', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['queue_entries.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    for name, column in (('ux_offers_open_entry', 'entry_id'), ('ux_offers_open_callback', 'callback_id'),
                         ('ux_offers_open_agent', 'agent_id')):
        op.create_index(name, 'offers', [column], unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index('ix_offers_status', 'offers', ['status', 'expires_at'])
    op.create_index('ix_offers_offered_at', 'offers', ['offered_at'])
    op.create_index('ix_offers_agent', 'offers', ['agent_id', 'id'])


def downgrade() -> None:
    op.drop_table('offers')

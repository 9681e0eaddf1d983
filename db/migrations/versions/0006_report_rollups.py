"""report rollups: additive sums per UTC hour that the reports add up (callcenter/rollups.py)

queue_rollups and adviser_leg_rollups (queue legs per call hour, leg hour, queue, language,
intent, and adviser), adviser_rollups (handled sums and idle time per adviser), ivr_rollups
(outcomes, nodes entered and left, captures, recordings per call hour, language and reason), and
rollup_state (how far they reach). Empty after upgrading: the worker's job fills them, and
until it has, reports read raw rows as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:55:21.575433
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adviser_leg_rollups',
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('leg_hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=32), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandons', sa.Integer(), nullable=False),
    sa.Column('callbacks', sa.Integer(), nullable=False),
    sa.Column('voicemails', sa.Integer(), nullable=False),
    sa.Column('transferred_out', sa.Integer(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('wait_sum', sa.Float(), nullable=False),
    sa.Column('abandon_sum', sa.Float(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('talk_sum', sa.Float(), nullable=False),
    sa.Column('acw_sum', sa.Float(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('queue', 'hour', 'leg_hour', 'agent_id', 'language', 'intent'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('adviser_leg_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_adviser_leg_rollups_agent', ['agent_id', 'hour'], unique=False)

    op.create_table('adviser_rollups',
    sa.Column('hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('talk_sum', sa.Float(), nullable=False),
    sa.Column('acw_sum', sa.Float(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('idle_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'agent_id'),
    sqlite_with_rowid=False
    )
    op.create_table('ivr_rollups',
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('m', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'hour', 'language', 'reason', 'key'),
    sqlite_with_rowid=False
    )
    op.create_table('queue_rollups',
    sa.Column('hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('leg_hour', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('intent', sa.String(length=32), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandons', sa.Integer(), nullable=False),
    sa.Column('callbacks', sa.Integer(), nullable=False),
    sa.Column('voicemails', sa.Integer(), nullable=False),
    sa.Column('transferred_out', sa.Integer(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('wait_sum', sa.Float(), nullable=False),
    sa.Column('abandon_sum', sa.Float(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('talk_sum', sa.Float(), nullable=False),
    sa.Column('acw_sum', sa.Float(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'leg_hour', 'queue', 'language', 'intent'),
    sqlite_with_rowid=False
    )
    op.create_table('rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rolled_until', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idle_until', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rolled_at', db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('rollup_state')
    op.drop_table('queue_rollups')
    op.drop_table('ivr_rollups')
    op.drop_table('adviser_rollups')
    with op.batch_alter_table('adviser_leg_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_adviser_leg_rollups_agent')

    op.drop_table('adviser_leg_rollups')

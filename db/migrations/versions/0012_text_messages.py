"""text messages: information sent to callers by SMS (issue 19)

One row per text asked for (the IVR's key or an adviser): the message (the flow's node), its
language, who sent it, Twilio's SID, status and error code. No number: the call's caller has it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'text_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('sent_by', sa.String(length=8), nullable=False),
        sa.Column('adviser_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('sid', sa.String(length=64), nullable=True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('requested_at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['adviser_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_text_messages_call_id', 'text_messages', ['call_id'])
    op.create_index('ix_text_messages_requested_at', 'text_messages', ['requested_at'])


def downgrade() -> None:
    op.drop_index('ix_text_messages_requested_at', table_name='text_messages')
    op.drop_index('ix_text_messages_call_id', table_name='text_messages')
    op.drop_table('text_messages')

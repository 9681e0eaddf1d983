"""survey responses: the question after the call (issue 19)

One row per survey offered after an adviser conversation (a queue leg or a callback): when it
was asked, and the score (1-5) with the time it was answered; no score is "asked, not
answered", counted in the response rate (docs/metrics.md, "Caller survey").

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:10:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('queue_entry_id', sa.Integer(), nullable=True),
        sa.Column('callback_id', sa.Integer(), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('queue', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('asked_at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answered_at', db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('score', sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['queue_entry_id'], ['queue_entries.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('queue_entry_id'),
        sa.UniqueConstraint('callback_id'),
    )
    op.create_index('ix_survey_responses_call_id', 'survey_responses', ['call_id'])
    op.create_index('ix_survey_responses_asked_at', 'survey_responses', ['asked_at'])


def downgrade() -> None:
    op.drop_index('ix_survey_responses_asked_at', table_name='survey_responses')
    op.drop_index('ix_survey_responses_call_id', table_name='survey_responses')
    op.drop_table('survey_responses')

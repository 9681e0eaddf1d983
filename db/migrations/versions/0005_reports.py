"""reports: indexes the supervisor reports read by

- calls (caller_id, started_at): true containment looks for the same caller's next call
  within 24 h of a self-service call;
- recordings (call_id): transcription success joins the period's calls to their recordings;
- agent_status_changes (at): idle time reads the changes of a period across all advisers.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 07:15:00
"""
from alembic import op


revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_calls_caller_started', 'calls', ['caller_id', 'started_at'], unique=False)
    op.create_index('ix_recordings_call_id', 'recordings', ['call_id'], unique=False)
    op.create_index('ix_agent_status_at', 'agent_status_changes', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_agent_status_at', table_name='agent_status_changes')
    op.drop_index('ix_recordings_call_id', table_name='recordings')
    op.drop_index('ix_calls_caller_started', table_name='calls')

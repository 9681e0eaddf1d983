"""privacy: the audit log, and phone numbers that retention or erasure can clear

callers.phone and callbacks.phone become nullable, so the retention purge and an erasure
request clear a number while the anonymous rows (and the report figures built on them) stay.
audit_entries is the append-only record of who revealed, played, exported, changed or erased.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import db.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('object_type', sa.String(length=24), nullable=True),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_entries_at', 'audit_entries', ['at'])
    with op.batch_alter_table('callers') as batch:
        batch.alter_column('phone', existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table('callbacks') as batch:
        batch.alter_column('phone', existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    # Rows whose number was cleared cannot get it back; a placeholder keeps them valid.
    op.execute("UPDATE callers SET phone = 'erased-' || id WHERE phone IS NULL")
    op.execute("UPDATE callbacks SET phone = 'erased' WHERE phone IS NULL")
    with op.batch_alter_table('callbacks') as batch:
        batch.alter_column('phone', existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table('callers') as batch:
        batch.alter_column('phone', existing_type=sa.String(length=32), nullable=False)
    op.drop_index('ix_audit_entries_at', table_name='audit_entries')
    op.drop_table('audit_entries')

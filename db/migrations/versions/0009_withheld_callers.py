"""withheld callers: calls detached from caller rows that were never a phone number

Twilio puts +266696687 (ANONYMOUS), +7378742833 (RESTRICTED), +86282452253 (UNAVAILABLE),
+8656696 (UNKNOWN) or +2562533 (BLOCKED) in From when a caller withholds their number, and these
were stored as callers: every withheld caller shared one row, its remembered language and its
history. Calls of such rows (and of any row whose phone is not E.164) lose their caller link and
the rows are deleted; a callback still pending to such a number is failed (it would ring
Lesotho or Russia, not the caller). The rules are frozen here as they stood at this revision
(today's are in ivr/telephony/numbers.py). The downgrade cannot re-link: it changes nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:45:00
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

E164 = re.compile(r"^\+[1-9]\d{5,14}$")
WITHHELD = {"+266696687", "+7378742833", "+86282452253", "+8656696", "+2562533"}


def _not_a_number(phone: str | None) -> bool:
    phone = (phone or "").strip()
    return phone in WITHHELD or not E164.match(phone)


def upgrade() -> None:
    conn = op.get_bind()
    callers = sa.table('callers', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    calls = sa.table('calls', sa.column('caller_id', sa.Integer))
    callbacks = sa.table('callbacks', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                         sa.column('status', sa.String))
    bad = [row.id for row in conn.execute(sa.select(callers.c.id, callers.c.phone))
           if _not_a_number(row.phone)]
    for start in range(0, len(bad), 500):  # bounded IN lists
        ids = bad[start:start + 500]
        conn.execute(calls.update().where(calls.c.caller_id.in_(ids)).values(caller_id=None))
        conn.execute(callers.delete().where(callers.c.id.in_(ids)))
    pending = [row.id for row in conn.execute(
        sa.select(callbacks.c.id, callbacks.c.phone).where(callbacks.c.status == 'pending'))
        if _not_a_number(row.phone)]
    for start in range(0, len(pending), 500):
        conn.execute(callbacks.update().where(callbacks.c.id.in_(pending[start:start + 500]))
                     .values(status='failed'))


def downgrade() -> None:
    pass

"""The audit log: who revealed an ID number, played a recording, exported a CSV, changed an
account or checked a flow, erased or exported a person's data.

Other views call `record(s, action, ...)` (the row joins their transaction, they commit) or,
from a view that writes nothing else, `record_now(action, ...)`. The log is append-only: this
module has no update or delete, and the only delete is the retention purge
(speech/retention.py, AUDIT_RETENTION_DAYS). A row names the person acting and the row acted
on by its id; it never holds a phone or ID number, a name or a transcript.

Admins read it at /admin/audit and download it as CSV (which is itself recorded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.access import nav, role_required
from db import session as db
from db.models import AuditEntry, User
from db.states import Role

bp = Blueprint("audit", __name__, url_prefix="/admin")
SHOWN = 200  # rows on the page; the CSV has them all

# What each action means, as the page and the CSV say it.
ACTIONS = {
    "reveal_id": "revealed a caller's full ID number",
    "play_recording": "played a recording",
    "export_csv": "downloaded a CSV export",
    "account_created": "created an account",
    "account_changed": "changed an account",
    "password_reset": "reset a password",
    "account_deactivated": "deactivated an account",
    "account_activated": "activated an account",
    "flow_checked": "checked a draft flow file",
    "recording_uploaded": "uploaded a recorded prompt",
    "erasure": "erased a person's data",
    "subject_export": "exported a person's data",
    "audit_export": "downloaded the audit log",
}


def record(s: Session, action: str, object_type: str | None = None, object_id: int | None = None,
           detail: str | None = None) -> AuditEntry:
    """Add an audit row for the signed-in user to `s` (the caller commits with its own change).

    Raises ValueError for an action not in ACTIONS, so a typo cannot hide an entry."""
    if action not in ACTIONS:
        raise ValueError(f"audit action {action!r} is not one of {sorted(ACTIONS)}")
    who = s.get(User, current_user.id)
    entry = AuditEntry(user_id=current_user.id, username=who.username if who else "?", action=action,
                       object_type=object_type, object_id=object_id,
                       detail=(detail or None) and detail[:200])
    s.add(entry)
    return entry


def record_now(action: str, object_type: str | None = None, object_id: int | None = None,
               detail: str | None = None) -> None:
    """Record and commit at once, for views that only read (playing, exporting)."""
    s = db.current()
    record(s, action, object_type, object_id, detail)
    s.commit()


def _rows(s: Session, action: str | None, limit: int | None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    return list(s.scalars(query.limit(limit)))


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


@bp.get("/audit")
@nav("Audit log", order=95)
@role_required(Role.ADMIN)
def audit_log() -> str:
    """The latest entries, newest first, optionally one kind of action (?action=...)."""
    action = request.args.get("action") if request.args.get("action") in ACTIONS else None
    return render_template("audit/log.html", entries=_rows(db.current(), action, SHOWN),
                           actions=ACTIONS, action=action, shown=SHOWN)


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
def audit_csv() -> Response:
    """Every entry still kept, newest first, as CSV; the download is recorded too."""
    s = db.current()
    entries = _rows(s, None, None)
    record_now("audit_export", detail=f"{len(entries)} entries")

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["at_utc", "user_id", "username", "action", "meaning", "object_type",
                         "object_id", "detail"])
        for e in entries:
            writer.writerow([_iso(e.at), e.user_id or "", e.username, e.action, ACTIONS.get(e.action, ""),
                             e.object_type or "", e.object_id or "", e.detail or ""])
        yield out.getvalue()

    headers: dict[str, Any] = {"Content-Disposition": 'attachment; filename="jobline-audit.csv"',
                               "Cache-Control": "no-store"}
    return Response(lines(), mimetype="text/csv", headers=headers)

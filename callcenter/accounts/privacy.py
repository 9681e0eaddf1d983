"""Admin pages under /admin/privacy: find a person by phone or ID number, then export or erase
what Jobline holds about them (GDPR arts. 15 and 17).

The number searched for travels only in POST bodies (never in a URL, so never in an access
log or the browser history). Erasure asks for a typed confirmation and then shows the count of
what went; both export and erasure are written to the audit log (counts only, no values).
The rules themselves are in callcenter/accounts/data_subjects.py.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request
from sqlalchemy.orm import Session

from callcenter.access import nav, role_required
from callcenter.accounts import audit, data_subjects
from db import session as db
from db.states import Role

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")
CONFIRM_WORD = "ERASE"


def _search() -> tuple[str, str]:
    return request.form.get("phone") or "", request.form.get("id_number") or ""


def _page(status: int = 200, *, keep_search: bool = True, **extra: Any) -> tuple[str, int]:
    phone, id_number = _search() if keep_search else ("", "")
    return render_template("privacy/search.html", phone=phone, id_number=id_number,
                           confirm_word=CONFIRM_WORD, **extra), status


def _subject_id(subject: data_subjects.Subject) -> int | None:
    """The caller row the audit entry points to (the person's first number), if any."""
    return subject.callers[0].id if subject.callers else None


def searched(view: Callable[[Session, data_subjects.Subject], Any]) -> Callable[[], Any]:
    """Run `view` on the person the form searched for; a search that finds no one, or that is not a
    phone or ID number, shows the form again with the sentence saying why."""

    @functools.wraps(view)
    def with_subject() -> Any:
        s = db.current()
        try:
            subject = data_subjects.find(s, *_search())
        except data_subjects.SearchError as e:
            return _page(400, error=str(e))
        return view(s, subject)

    return with_subject


@bp.get("")
@nav("Privacy", order=94)
@role_required(Role.ADMIN)
def search_page() -> tuple[str, int]:
    """The search form."""
    return _page()


@bp.post("/find")
@role_required(Role.ADMIN)
@searched
def find(s: Session, subject: data_subjects.Subject) -> tuple[str, int]:
    """Show how much of each kind of personal data is held about the person searched for."""
    return _page(holdings=subject.holdings(s))


@bp.post("/export")
@role_required(Role.ADMIN)
@searched
def export(s: Session, subject: data_subjects.Subject) -> Any:
    """Download everything held about the person as JSON (art. 15); recorded in the audit log."""
    data = data_subjects.export(s, subject)
    audit.record(s, "subject_export", "caller", _subject_id(subject), f"{len(subject.calls)} calls")
    s.commit()
    return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="jobline-personal-data.json"',
                             "Cache-Control": "no-store"})


@bp.post("/erase")
@role_required(Role.ADMIN)
@searched
def erase(s: Session, subject: data_subjects.Subject) -> tuple[str, int]:
    """Erase the person's personal data once the admin typed the confirmation word; show the counts."""
    if (request.form.get("confirm") or "").strip().upper() != CONFIRM_WORD:
        return _page(400, holdings=subject.holdings(s),
                     error=f"Nothing was erased: type {CONFIRM_WORD} in the box to confirm.")
    erased = data_subjects.erase(s, subject)
    detail = ", ".join(f"{k} {v}" for k, v in erased.items())
    audit.record(s, "erasure", "caller", _subject_id(subject), detail)
    s.commit()
    return _page(keep_search=False, erased=erased)  # the erased number is not shown again

"""Information by text message in the reports (issue 19; docs/metrics.md, "Texts"): texts asked
for, delivered and failed, per message and language, for the calls of the period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from callcenter.reports.metrics import Filters, calls_in_period, rate
from db.models import Call, TextMessage
from db.states import TEXT_FAILED, TextStatus

TEXT_FIGURES: dict[str, tuple[str, str, str]] = {
    "texts_sent": ("Texts sent", "", "texts asked for (a caller's key or an adviser's choice) on the "
                   "period's calls, whatever became of them"),
    "texts_delivered": ("Texts delivered", "", "texts whose last status from Twilio is delivered"),
    "texts_failed": ("Texts failed", "", "texts Twilio refused or reported failed or undelivered"),
    "text_delivery_rate": ("Text delivery rate", "%", "texts_delivered ÷ texts_sent × 100"),
}


def texts_report(s: Session, f: Filters) -> dict[str, Any]:
    """Totals and one row per (message, language), most sent first."""
    t = TextMessage
    stmt = (select(t.message, t.language, func.count().label("sent"),
                   func.sum(case((t.status == TextStatus.DELIVERED, 1), else_=0)).label("delivered"),
                   func.sum(case((t.status.in_(TEXT_FAILED), 1), else_=0)).label("failed"))
            .join(Call, Call.id == t.call_id).where(calls_in_period(f))
            .group_by(t.message, t.language))
    rows = [{"message": m, "language": lang, "sent": int(n), "delivered": int(d or 0), "failed": int(x or 0),
             "delivery_rate": rate(int(d or 0), int(n))} for m, lang, n, d, x in s.execute(stmt)]
    rows.sort(key=lambda r: (-r["sent"], r["message"], r["language"]))
    sent, delivered = sum(r["sent"] for r in rows), sum(r["delivered"] for r in rows)
    return {"total": {"texts_sent": sent, "texts_delivered": delivered,
                      "texts_failed": sum(r["failed"] for r in rows),
                      "text_delivery_rate": rate(delivered, sent)},
            "rows": rows, "formulas": {k: v[2] for k, v in TEXT_FIGURES.items()}}

"""Answering an offered call (callcenter/routing/offers.py): Accept or Reject, by the adviser
whose desk it rings on (404 for anyone else, 409 when the offer is over: ran out, withdrawn).

Accept claims the caller through claims.claim and connects them as /api/answer does (api.py
`put_through`); an offered callback reserves the adviser and Jobline dials the caller
(callbacks.dial_reserved), as the callback dialler would. Reject offers the caller to the next
adviser at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, abort, current_app

from callcenter.access import role_required
from callcenter.accounts.users import clock
from callcenter.desk.api import put_through
from callcenter.desk.requests import app_flow, no_store_json, signed_in_user
from callcenter.desk.state import DESK, desk_state_of, has_work
from callcenter.routing import callbacks, offers
from db import session as db
from db.models import QueueEntry

bp = Blueprint("offers", __name__, url_prefix="/api")


@bp.post("/offers/<int:offer_id>/accept")
@role_required(*DESK)
def accept(offer_id: int) -> Any:
    """Take the call offered to you: it is put through to your phone (a callback: dialled)."""
    s, user, now = db.current(), signed_in_user(), clock(current_app.config)
    if has_work(user):
        abort(409, "You already have a call; finish it (Done) before accepting another.")
    with _refused_in_words(s):
        offer = offers.accept(s, offer_id, user, now)
    s.commit()
    if offer.entry_id is not None:
        put_through(s.get(QueueEntry, offer.entry_id), user)
    elif not callbacks.dial_reserved(current_app.config, offer.callback_id, now):
        abort(502, "Jobline could not call this caller back now; the callback is back in line "
                   "and will be tried again.")
    return no_store_json(desk_state_of(signed_in_user()))


@contextmanager
def _refused_in_words(s: Any) -> Iterator[None]:
    """No such offer: 404; an offer that is no longer yours to answer: 409; with the sentence."""
    try:
        yield
    except LookupError as e:
        s.rollback()
        abort(404, str(e))
    except offers.OfferGone as e:
        s.rollback()
        abort(409, str(e))


@bp.post("/offers/<int:offer_id>/reject")
@role_required(*DESK)
def reject(offer_id: int) -> Any:
    """Pass on the call offered to you: it is offered to the next adviser."""
    s, user, now = db.current(), signed_in_user(), clock(current_app.config)
    with _refused_in_words(s):
        offers.reject(s, app_flow(), offer_id, user, now)
    s.commit()
    return no_store_json(desk_state_of(user))

"""Ending a live call through Twilio's REST API, for the worker's sweeps (ivr/queue/lost_calls.py).

When Jobline closes a call without Twilio's word (its status callback was lost), the caller may
still be on the line, on hold for ever: the call is ended at Twilio too, by updating it with
Status=completed, which "will attempt to hang up a call even if it's already in progress"
(https://www.twilio.com/docs/api/rest/change-call-state, Call resource:
https://www.twilio.com/docs/voice/api/call-resource). A call Twilio has already ended answers
21220 (not in progress) or 20404 (not found): it is over, which is what we wanted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ivr.telephony.rest import end_call, worker_config

log = logging.getLogger(__name__)


def end_calls(sids: Iterable[str], config: Mapping[str, Any] | None = None) -> int:
    """Ask Twilio to complete each call; returns how many are over at Twilio now.

    Never raises: a call Twilio cannot be asked about is logged (by its SID, never a number)
    and stays as it is at Twilio; our rows are already closed either way.
    """
    sids = [sid for sid in sids if sid]
    if not sids:
        return 0
    config = config if config is not None else worker_config()
    if not config.get("TWILIO_ACCOUNT_SID") or not config.get("TWILIO_AUTH_TOKEN"):
        log.warning("cannot end %d lost calls at Twilio: no Twilio account is configured", len(sids))
        return 0
    return sum(end_call(config, sid) for sid in sids)

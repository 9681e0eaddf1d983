"""The words the report pages use: the flow's labels instead of its codes, and every figure in
plain words (the exact formula, from the *_FIGURES tables, stays one click away on the page).

Labels are in the flow's default language, the one the supervisors read. A queue and an intent
carry their label from config/ivr.yaml (an intent without one is its code spelled as words); a
step of the flow is named by what the caller hears there, its prompt shortened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from callcenter.reports.offer_metrics import PLAIN_OFFERS
from config.flow import Flow

CODE = re.compile(r"[a-z][a-z0-9_]*")  # an intent's code; other reasons are kept as they were stored
SHORT = 60  # characters of a prompt kept as a step's name: a table cell, not a paragraph

# report -> figure key -> the figure in a supervisor's words (the exact formula is in *_FIGURES).
PLAIN: dict[str, dict[str, str]] = {
    "queues": {
        "offered": "Calls that waited in the queue for an adviser.",
        "answered": "Calls an adviser picked up.",
        "abandoned": "Callers who gave up waiting, after the first few seconds.",
        "short_abandons": "Callers who hung up in the first few seconds of waiting.",
        "callbacks": "Callers who stopped waiting and asked to be called back.",
        "voicemails": "Callers who stopped waiting and left a message.",
        "transferred_out": "Answered calls an adviser passed on to another queue.",
        "service_level": "Of the callers who waited more than a few seconds, the share answered (or who "
                         "chose a callback) within the queue's target time.",
        "abandonment_rate": "Of the callers who waited more than a few seconds, the share who gave up.",
        "asa_s": "How long answered callers waited, on average, before an adviser picked up.",
        "avg_abandon_s": "How long callers who gave up had waited, on average.",
        "callbacks_requested": "Callbacks callers asked for, while waiting or in the menus.",
        "callbacks_completed": "Callbacks on which an adviser talked to the caller.",
        "callbacks_failed": "Callbacks given up after the last try reached no one.",
        "callback_attempts": "Calls made to call callers back.",
        "time_to_callback_s": "How long callers waited, on average, from asking for a callback to "
                              "talking to an adviser.",
        **PLAIN_OFFERS,
    },
    "advisers": {
        "handled": "Calls the adviser answered and finished.",
        "aht_s": "Time a call takes on average: talking, then the notes afterwards.",
        "talk_s": "Time spent talking with the caller, on average.",
        "acw_s": "Time spent on notes after a call, on average.",
        "occupancy": "Of the time on calls or available, the share spent on calls.",
        "idle_s": "Time spent available, waiting for a call.",
        "transfers_out": "Calls the adviser passed on to another queue.",
        "callbacks_completed": "Callbacks on which the adviser talked to the caller.",
        **PLAIN_OFFERS,
    },
    "survey": {  # the question after the call (docs/metrics.md, "Caller survey")
        "surveys_offered": "Callers asked \u201chow well did we help you today?\u201d after talking to an "
                           "adviser.",
        "survey_responses": "Callers who answered with a key from 1 to 5.",
        "survey_response_rate": "Of the callers asked, the share who answered.",
        "mean_survey_score": "The average answer, from 1 (not at all) to 5 (very well).",
    },
    "ivr": {
        "calls": "Every call that came in.",
        "containment": "Share of calls that ended in the recorded messages, without an adviser.",
        "true_containment": "The same, counting only callers who did not call again within a day.",
        "ivr_hangup_rate": "Share of calls where the caller hung up in the menus.",
        "drop_off": "For each step, the share of callers who reached it and hung up there.",
        "capture_rate": "For each detail asked for, the share of callers who gave it.",
        "transcription_success": "Share of recordings turned into text.",
        "top_reasons": "Why people called, from what they said, most frequent first.",
    },
}

# How a call ended (db.states.CallOutcome), as the IVR report's outcome table and chart say it.
OUTCOMES: dict[str, str] = {
    "self_service": "Ended in the recorded messages",
    "ivr_hangup": "Hung up in the menus",
    "answered": "Answered by an adviser",
    "abandoned": "Gave up waiting",
    "short_abandon": "Hung up in the first seconds of waiting",
    "callback": "Asked to be called back",
    "voicemail": "Left a message",
    "closed": "Called while we were closed",
    "transferred": "Answered, then transferred to another queue",
    "in_progress": "Still on the line",
}

_INITIALS = {"ivr": "IVR", "id": "ID"}



def words(code: str | None) -> str:
    """A code the flow gives no label, spelled as words: self_service -> Self service,
    ivr_hangups -> IVR hangups."""
    if not code:
        return ""
    text = " ".join(_INITIALS.get(w, w) for w in code.split("_"))
    return text[:1].upper() + text[1:]


def shorten(text: str, limit: int = SHORT) -> str:
    """The first sentence of text, cut at a word (with …) when longer than limit."""
    first = text.split(". ")[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class ScreenLabels:
    """The flow's codes as the report pages name them. A queue or step the flow no longer knows
    is shown as its code; a reason that looks like a code is spelled as words, other text kept."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.lang = flow.default_language

    def queue(self, code: str | None) -> str:
        q = self.flow.queues.get(code or "")
        return q.label.get(self.lang, code or "") if q else code or ""

    def intent(self, code: str | None) -> str:
        label = self.flow.intent_labels.get(code or "", {}).get(self.lang)
        if label:
            return label
        return words(code) if code and CODE.fullmatch(code) else code or ""

    def intents(self) -> list[tuple[str, str]]:
        return [(code, self.intent(code)) for code in self.flow.intent_routes]

    def node(self, node_id: str) -> str:
        """What the caller hears at the step (its prompt, shortened); a queue by its label."""
        node = self.flow.nodes.get(node_id)
        if node is None:
            return node_id
        text = (node.prompt or node.text).get(self.lang)
        if text:
            try:
                text = self.flow.fill(text, self.lang)
            except (KeyError, IndexError, ValueError):  # a placeholder only the engine fills
                pass
            return shorten(text)
        if node.action == "queue" and node.queue:
            return f"Waiting for an adviser: {self.queue(node.queue)}"
        return words(node_id)

    def field(self, code: str) -> str:
        return words(code)

    def outcome(self, code: str) -> str:
        return OUTCOMES.get(code) or words(code)

    def outcomes(self, codes: Iterable[str]) -> dict[str, str]:
        """code -> label, for a chart's legend."""
        return {code: self.outcome(code) for code in codes}

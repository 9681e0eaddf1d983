"""OpenAPI links of the desk API: which ids in a desk state lead to which operations.

Every answer that returns the desk (GET /api/desk, answering, ending, transferring, Done) lists
the waiting calls, the callbacks and the adviser's current call or callback; these links say
which of their ids each other operation takes, so a client (and the contract test's stateful
run, tests/callcenter/desk/test_api_contract.py) can follow them instead of guessing ids.
Link objects: https://spec.openapis.org/oas/v3.0.3#link-object
"""

from __future__ import annotations

from typing import Any

FIRST_WAITING = "$response.body#/waiting/0/id"
FIRST_CALLBACK = "$response.body#/callbacks/0/id"
CURRENT = "$response.body#/current/id"  # a queue leg when current.kind is call, else a callback


def _link(operation: str, description: str, parameters: dict[str, str] | None = None,
          body: dict[str, str] | None = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation, "description": description}
    if parameters:
        link["parameters"] = parameters
    if body:
        link["requestBody"] = body
    return link


DESK_STATE_LINKS: dict[str, Any] = {
    "WaitingSummary": _link("entrySummary", "The first waiting caller's full summary.",
                            {"entry_id": FIRST_WAITING}),
    "AnswerWaiting": _link("answer", "Answer the first waiting caller.", body={"entry_id": FIRST_WAITING}),
    "RevealWaitingId": _link("revealId", "The first waiting caller's ID number (supervisors).",
                             {"entry_id": FIRST_WAITING}),
    "RetryCallback": _link("retryCallback", "Try the first listed callback again (when it failed).",
                           {"callback_id": FIRST_CALLBACK}),
    "CurrentSummary": _link("entrySummary", "The current call's summary (kind call).", {"entry_id": CURRENT}),
    "SaveNotes": _link("saveNotes", "Notes of the current call (kind call).", {"entry_id": CURRENT}),
    "EndCall": _link("endCall", "End the current call's conversation (kind call).", {"entry_id": CURRENT}),
    "Transfer": _link("transfer", "Transfer the current call (kind call).", {"entry_id": CURRENT}),
    "WrapUp": _link("wrapUp", "Done with the current call (kind call).", {"entry_id": CURRENT}),
    "RevealCurrentId": _link("revealId", "The ID number of the caller you talk to (kind call).",
                             {"entry_id": CURRENT}),
    "SaveCallbackNotes": _link("saveCallbackNotes", "Notes of the current callback (kind callback).",
                               {"callback_id": CURRENT}),
    "WrapUpCallback": _link("wrapUpCallback", "Done with the current callback (kind callback).",
                            {"callback_id": CURRENT}),
    "RevealCallbackId": _link("revealCallbackId", "The ID number of the caller called back "
                              "(kind callback).", {"callback_id": CURRENT}),
}

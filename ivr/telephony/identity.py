"""The Voice SDK identity of an adviser's browser, written once: the desk puts it in the access
token (callcenter/routing/claims.py) and the IVR dials it with `<Client>` (ivr/queue/connect.py),
so the two cannot drift apart and a call never rings a browser nobody signed in as."""

from __future__ import annotations


def client_identity(user_id: int) -> str:
    """An id, never a name or a number: the identity travels to Twilio and into its logs."""
    return f"agent-{user_id}"

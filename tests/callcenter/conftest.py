"""callcenter fixtures: one account per role, and a desk client signed in through the real login
form (tests/support/desk.py has the helpers, and callers waiting in queues built as rows)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from callcenter.accounts.users import create_user
from db import session as db
from db.models import User
from tests.support.desk import PASSWORD, Desk, csrf_from, sign_in


@pytest.fixture
def accounts(app) -> dict[str, User]:
    """One active account per role, each with PASSWORD (no password change pending)."""
    made = {}
    with db.SessionLocal() as s:
        for role, queues in (("agent", ["general", "benefits"]), ("supervisor", []), ("admin", [])):
            user, _ = create_user(s, role + "1", f"Test {role.title()}", role, PASSWORD,
                                  queues=queues, languages=["en", "es"], phone="+447700900999")
            made[role] = user
        s.commit()
    return made


@pytest.fixture
def signed_in(app, accounts) -> Callable[[str], Desk]:
    def make(role: str) -> Desk:
        client = app.test_client()
        response = sign_in(client, accounts[role].username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return Desk(client, csrf_from(client, "/account/password"))

    return make

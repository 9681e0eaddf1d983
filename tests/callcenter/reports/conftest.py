"""Reports fixtures: an app with the reports registered, signed-in clients, a scripted day."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from callcenter.accounts import users as accounts
from db import session as db
from tests.support.reports_script import NOW, Script


@pytest.fixture
def reports_app(make_app):
    app = make_app(CLOCK=lambda: NOW)
    if "reports" not in app.blueprints:  # until callcenter.init_app registers them
        from callcenter.reports import views as reports

        reports.init_app(app)
    return app


@pytest.fixture
def reports_client(reports_app) -> Callable[[str], FlaskClient]:
    """A test client signed in with the given role (a real login session row)."""

    def client_for(role: str) -> FlaskClient:
        with db.SessionLocal() as s:
            user, _ = accounts.create_user(s, f"{role}1", f"A {role}", role,
                                           password="correct horse battery 9")
            token = accounts.start_session(s, user, NOW)
            s.commit()
        client = reports_app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
            sess["_fresh"] = True
        return client

    return client_for


@pytest.fixture
def script(reports_app):
    sc = Script()
    yield sc
    sc.s.close()

"""Signing in and out: argon2 hashes, server-side sessions, idle timeout, CSRF, one-time passwords."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from callcenter.accounts.users import create_user, ensure_first_admin
from db import session as db
from db.models import LoginSession, User
from tests.support.desk import PASSWORD, csrf_from, sign_in
from tests.support.env import OPEN_TIME


def test_password_is_stored_as_an_argon2_hash(app, accounts, s):
    user = s.get(User, accounts["agent"].id)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_sign_in_opens_the_desk_and_sign_out_ends_the_session(app, accounts, s):
    client = app.test_client()
    response = sign_in(client, "agent1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/desk")
    assert client.get("/desk").status_code == 200
    assert s.scalar(select(func.count(LoginSession.id))) == 1

    token = csrf_from(client, "/desk")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert s.scalar(select(func.count(LoginSession.id))) == 0
    assert client.get("/desk").status_code == 302  # back to the login page


def test_a_copied_cookie_stops_working_after_logout(app, accounts):
    browser = app.test_client()
    sign_in(browser, "agent1")
    cookie = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/api/openapi.json").status_code == 200  # the copy works while the session lives

    browser.post("/logout", data={"csrf_token": csrf_from(browser, "/desk")})
    response = thief.get("/api/openapi.json")
    assert response.status_code == 401
    assert "sign in again" in response.get_json()["error"]


def test_the_cookie_carries_no_user_id_and_the_table_no_token(app, accounts, s):
    client = app.test_client()
    sign_in(client, "agent1")
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("session").value)
    token = data["_user_id"]
    assert token != str(accounts["agent"].id) and len(token) >= 40
    assert s.get(LoginSession, token) is None  # stored hashed


def test_wrong_password_is_refused_with_a_sentence(app, accounts):
    client = app.test_client()
    response = sign_in(client, "agent1", "wrong-password")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)


def test_idle_session_ends_but_activity_keeps_it(make_app):
    now = {"t": OPEN_TIME}
    app = make_app(CLOCK=lambda: now["t"], IDLE_TIMEOUT_MIN=30)
    with db.SessionLocal() as s:
        create_user(s, "ana", "Ana", "agent", PASSWORD, queues=["general"])
        s.commit()
    client = app.test_client()
    sign_in(client, "ana")
    now["t"] += timedelta(minutes=20)
    assert client.get("/desk").status_code == 200  # a person's request: still signed in
    now["t"] += timedelta(minutes=25)
    # Background polling alone does not keep the session alive...
    client.get("/api/openapi.json", headers={"X-Jobline-Poll": "1"})
    now["t"] += timedelta(minutes=10)
    response = client.get("/api/openapi.json", headers={"X-Jobline-Poll": "1"})
    assert response.status_code == 401  # 35 minutes without a person's action
    assert client.get("/desk").status_code == 302
    with db.SessionLocal() as s:
        assert s.scalar(select(func.count(LoginSession.id))) == 0


def test_missing_csrf_token_is_refused_with_what_to_do(app, accounts, signed_in):
    client = app.test_client()
    response = client.post("/login", data={"username": "agent1", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token is missing" in response.get_data(as_text=True)
    assert "Reload the page" in response.get_data(as_text=True)

    desk = signed_in("agent")
    response = desk.client.put("/api/me/status", json={"status": "break"})
    assert response.status_code == 400
    body = response.get_json()
    assert "X-CSRFToken" in body["error"] and body["status"] == 400


def test_one_time_password_must_be_changed_first(app, s):
    user, otp = create_user(s, "new.adviser", "New Adviser", "agent")
    s.commit()
    assert otp and user.must_change_password
    client = app.test_client()
    response = sign_in(client, "new.adviser", otp)
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/desk").headers["Location"].endswith("/account/password")
    api = client.get("/api/openapi.json")
    assert api.status_code == 403 and "one-time password" in api.get_json()["error"]

    token = csrf_from(client, "/account/password")
    weak = client.post("/account/password", data={"current_password": otp, "new_password": "short",
                                                  "confirm_password": "short", "csrf_token": token})
    assert weak.status_code == 400 and "at least 10 characters" in weak.get_data(as_text=True)
    done = client.post("/account/password", data={"current_password": otp, "new_password": PASSWORD,
                                                  "confirm_password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/desk")
    assert client.get("/desk").status_code == 200
    s.expire_all()
    assert not s.get(User, user.id).must_change_password


def test_first_admin_is_created_once_with_a_one_time_password(app, s):
    otp = ensure_first_admin(s)
    assert otp is not None and len(otp) == 14
    admin = s.scalar(select(User).where(User.role == "admin"))
    assert admin.username == "admin" and admin.must_change_password
    assert ensure_first_admin(s) is None  # users exist: nothing happens
    client = app.test_client()
    assert sign_in(client, "admin", otp).headers["Location"].endswith("/account/password")


def test_next_only_goes_to_this_site(app, accounts):
    client = app.test_client()
    token = csrf_from(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "agent1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/desk"


def test_a_closed_browser_is_signed_out_and_taken_offline(make_app):
    """Nobody requests anything from a closed browser: the sweep ends its session and stops
    routing calls to that adviser."""
    from callcenter.accounts.users import end_idle_sessions, start_session

    app = make_app()
    with app.app_context(), db.SessionLocal() as s:
        gone, _ = create_user(s, "gone", "Gone Home", "agent", PASSWORD, queues=["general"])
        here, _ = create_user(s, "here", "Still Here", "agent", PASSWORD, queues=["general"])
        gone.status = here.status = "available"
        start_session(s, gone, OPEN_TIME)
        start_session(s, here, OPEN_TIME + timedelta(minutes=20))
        s.commit()
        assert end_idle_sessions(s, OPEN_TIME + timedelta(minutes=31), timedelta(minutes=30)) == 1
        s.expire_all()
        assert (s.get(User, gone.id).status, s.get(User, here.id).status) == ("offline", "available")
        assert s.scalar(select(func.count(LoginSession.id))) == 1

"""Signing in keeps people out: no redirect to another site, limits that stop password spraying
and guessing from many addresses without locking the adviser out, no guessable passwords, and
a first admin password that expires unused."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from callcenter.accounts import users as accounts_module
from db import session as db
from db.models import User
from tests.support.desk import PASSWORD, csrf_from, sign_in
from tests.support.env import OPEN_TIME


def _sign_in_from(client, username: str, password: str, address: str, path: str = "/login") -> object:
    token = csrf_from(client, "/login")
    return client.post(path, data={"username": username, "password": password, "csrf_token": token},
                       headers={"X-Forwarded-For": address})


@pytest.mark.parametrize("next_", ["/%09/evil.example", "/%0a/evil.example", "/%5C/evil.example",
                                   "https://evil.example/", "//evil.example", "/%0d%0aSet-Cookie:x=1"])
def test_next_never_leads_off_the_site(app, accounts, next_):
    client = app.test_client()
    token = csrf_from(client, "/login")
    response = client.post(f"/login?next={next_}",
                           data={"username": "agent1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == "/desk"


def test_a_path_on_the_site_is_still_where_sign_in_leads(app, accounts):
    client = app.test_client()
    token = csrf_from(client, "/login")
    response = client.post("/login?next=/reports%3Ffrom%3D2026-11-01",
                           data={"username": "supervisor1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/reports?from=2026-11-01"


def test_spraying_many_usernames_from_one_address_is_stopped_whatever_x_forwarded_for(app, accounts):
    attacker = app.test_client()
    for i in range(30):
        response = _sign_in_from(attacker, f"user{i}", "Spring2026!", f"198.51.100.{i}")
        assert response.status_code == 401, i
    refused = _sign_in_from(attacker, "user99", "Spring2026!", "198.51.100.200")
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this computer" in refused.get_data(as_text=True)
    # A new browser at that address is held back too: the address is the TCP peer's.
    assert _sign_in_from(app.test_client(), "agent1", PASSWORD, "192.0.2.7").status_code == 429


def test_the_advisers_own_browser_still_signs_in_from_a_sprayed_address(app, accounts):
    adviser = app.test_client()
    assert sign_in(adviser, "agent1").status_code == 302  # this browser is now known to agent1
    adviser.post("/logout", data={"csrf_token": csrf_from(adviser, "/desk")})
    attacker = app.test_client()
    for i in range(31):
        _sign_in_from(attacker, f"user{i}", "Spring2026!", "198.51.100.1")
    assert sign_in(adviser, "agent1").status_code == 302


@pytest.fixture
def clock() -> list:
    return [OPEN_TIME]


@pytest.fixture
def proxied_app(make_app, clock):
    """Behind one trusted proxy: X-Forwarded-For is the caller's address, so each test request
    can come from an address of its own."""
    return make_app(TRUSTED_PROXIES=1, CLOCK=lambda: clock[0])


def test_guessing_one_password_from_many_addresses_is_slowed_to_once_a_minute(proxied_app, accounts,
                                                                               clock):
    attacker = proxied_app.test_client()
    for i in range(11):
        assert _sign_in_from(attacker, "agent1", f"guess-{i}", f"203.0.113.{i}").status_code == 401
    # The 12th try, from yet another address, waits; even with the right password.
    refused = _sign_in_from(proxied_app.test_client(), "agent1", PASSWORD, "203.0.113.50")
    assert refused.status_code == 429
    assert "Wait 2 seconds" in refused.get_data(as_text=True)
    # However long the attack goes on, the wait never grows past a minute.
    for i in range(12, 30):
        clock[0] += timedelta(seconds=61)
        assert _sign_in_from(attacker, "agent1", f"guess-{i}", f"203.0.113.{i}").status_code == 401
    refused = _sign_in_from(proxied_app.test_client(), "agent1", PASSWORD, "203.0.113.60")
    assert "Wait 60 seconds" in refused.get_data(as_text=True)
    clock[0] += timedelta(seconds=60)
    assert _sign_in_from(proxied_app.test_client(), "agent1", PASSWORD, "203.0.113.61").status_code == 302


def test_a_browser_that_signed_in_before_is_not_slowed_by_an_attack_on_its_account(proxied_app,
                                                                                   accounts):
    adviser = proxied_app.test_client()
    assert _sign_in_from(adviser, "agent1", PASSWORD, "192.0.2.10").status_code == 302
    adviser.post("/logout", data={"csrf_token": csrf_from(adviser, "/desk")})
    attacker = proxied_app.test_client()
    for i in range(20):
        _sign_in_from(attacker, "agent1", f"guess-{i}", f"203.0.113.{i}")
    assert _sign_in_from(proxied_app.test_client(), "agent1", PASSWORD, "203.0.113.99").status_code == 429
    assert _sign_in_from(adviser, "agent1", PASSWORD, "192.0.2.10").status_code == 302


@pytest.mark.parametrize("weak", ["password12", "1234567890", "aaaaaaaaaa", "qwertyuiop", "Summer2024!"])
def test_common_and_guessable_passwords_are_refused(signed_in, weak):
    desk = signed_in("agent")
    response = desk.client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": weak, "confirm_password": weak,
        "csrf_token": desk.token})
    assert response.status_code == 400
    assert "Choose a longer password that is not a common word or pattern" in response.get_data(as_text=True)
    with db.SessionLocal() as s:  # the old password still signs in; the weak one does not
        user = s.scalar(select(User).where(User.username == "agent1"))
        assert accounts_module.verify_password(user, PASSWORD)
        assert not accounts_module.verify_password(user, weak)


def test_a_strong_password_is_accepted(signed_in):
    desk = signed_in("agent")
    strong = "violet tram pencil 42"
    response = desk.client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": strong, "confirm_password": strong,
        "csrf_token": desk.token})
    assert response.status_code == 302


def _first_admin(age: timedelta) -> str:
    with db.SessionLocal() as s:
        otp = accounts_module.ensure_first_admin(s)
        admin = s.scalar(select(User).where(User.username == "admin"))
        admin.created_at = OPEN_TIME - age
        s.commit()
    return otp


def test_the_first_admin_password_works_within_a_day(app):
    otp = _first_admin(timedelta(hours=23))
    response = sign_in(app.test_client(), "admin", otp)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")


def test_the_first_admin_password_expires_after_a_day_unused_and_a_restart_gives_a_new_one(app):
    otp = _first_admin(timedelta(hours=25))
    response = sign_in(app.test_client(), "admin", otp)
    assert response.status_code == 401
    assert "not used within 24 hours and has expired" in response.get_data(as_text=True)
    with db.SessionLocal() as s:  # what `run.py serve` does at start
        fresh = accounts_module.ensure_first_admin(s, now=OPEN_TIME)
    assert fresh and fresh != otp
    assert sign_in(app.test_client(), "admin", otp).status_code == 401
    assert sign_in(app.test_client(), "admin", fresh).status_code == 302


def test_other_accounts_one_time_passwords_are_not_touched_by_the_first_admin_rule(app, accounts):
    with db.SessionLocal() as s:
        user, otp = accounts_module.create_user(s, "late.starter", "Late Starter", "admin")
        user.created_at = OPEN_TIME - timedelta(days=3)
        s.commit()
        assert accounts_module.ensure_first_admin(s, now=OPEN_TIME) is None
    assert sign_in(app.test_client(), "late.starter", otp).status_code == 302

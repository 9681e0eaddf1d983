"""An admin manages accounts: create with a one-time password, set role and queues, reset, deactivate."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.models import LoginSession, User
from tests.support.desk import PASSWORD, sign_in

OTP = re.compile(r'<p class="otp-value">([a-z0-9-]+)</p>')


def test_admin_creates_an_adviser_who_must_change_the_password(app, signed_in, s):
    admin = signed_in("admin")
    page = admin.client.post("/admin/users", data={
        "csrf_token": admin.token, "name": "Ana Diaz", "username": "ana.diaz", "role": "agent",
        "queues": ["general", "employers"], "languages": ["es", "en"], "phone": "+34 600 000 001"})
    assert page.status_code == 201
    otp = OTP.search(page.get_data(as_text=True)).group(1)
    user = s.scalar(select(User).where(User.username == "ana.diaz"))
    assert (user.role, user.queues, user.languages, user.phone) == (
        "agent", ["general", "employers"], ["en", "es"], "+34600000001")
    assert user.must_change_password
    assert sign_in(app.test_client(), "ana.diaz", otp).headers["Location"].endswith("/account/password")


def test_bad_input_is_refused_with_what_to_fix(app, signed_in):
    admin = signed_in("admin")
    base = {"csrf_token": admin.token, "name": "X", "role": "agent"}
    taken = admin.client.post("/admin/users", data=base | {"username": "agent1"})
    assert taken.status_code == 400 and "is taken" in taken.get_data(as_text=True)
    phone = admin.client.post("/admin/users", data=base | {"username": "newbie", "phone": "12"})
    assert phone.status_code == 400 and "international form" in phone.get_data(as_text=True)
    queue = admin.client.post("/admin/users", data=base | {"username": "newbie", "queues": ["nope"]})
    assert queue.status_code == 400 and "not in the flow file" in queue.get_data(as_text=True)


def test_an_adviser_s_phone_is_never_a_premium_number_or_a_withheld_id(app, signed_in, s):
    """Jobline dials an adviser's phone for every call they take: the same rules as callbacks."""
    admin = signed_in("admin")
    base = {"csrf_token": admin.token, "name": "X", "role": "agent", "username": "newbie"}
    premium = admin.client.post("/admin/users", data=base | {"phone": "+44 909 879 0000"})
    assert premium.status_code == 400 and "premium-rate" in premium.get_data(as_text=True)
    withheld = admin.client.post("/admin/users", data=base | {"phone": "+266696687"})  # Twilio: ANONYMOUS
    assert withheld.status_code == 400 and "withheld caller ID" in withheld.get_data(as_text=True)
    assert s.scalar(select(User).where(User.username == "newbie")) is None


def test_role_queues_and_phone_are_changed(app, signed_in, accounts, s):
    admin = signed_in("admin")
    uid = accounts["agent"].id
    response = admin.client.post(f"/admin/users/{uid}", data={
        "csrf_token": admin.token, "name": "Renamed", "role": "supervisor", "queues": ["employers"],
        "languages": ["fr"], "phone": ""})
    assert response.status_code == 200 and "Saved." in response.get_data(as_text=True)
    s.expire_all()
    user = s.get(User, uid)
    assert (user.name, user.role, user.queues, user.languages, user.phone) == (
        "Renamed", "supervisor", ["employers"], ["fr"], None)


def test_reset_password_signs_the_person_out_everywhere(app, signed_in, accounts, s):
    agent = signed_in("agent")
    admin = signed_in("admin")
    page = admin.client.post(f"/admin/users/{accounts['agent'].id}/reset-password",
                             data={"csrf_token": admin.token})
    otp = OTP.search(page.get_data(as_text=True)).group(1)
    assert agent.get("/api/desk").status_code == 401
    assert sign_in(app.test_client(), "agent1", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "agent1", otp).headers["Location"].endswith("/account/password")


def test_deactivated_account_cannot_sign_in_and_is_signed_out(app, signed_in, accounts, s):
    agent = signed_in("agent")
    admin = signed_in("admin")
    response = admin.client.post(f"/admin/users/{accounts['agent'].id}/deactivate",
                                 data={"csrf_token": admin.token})
    assert "can no longer sign in" in response.get_data(as_text=True)
    assert agent.get("/desk").status_code == 302
    assert sign_in(app.test_client(), "agent1").status_code == 401
    assert s.scalars(select(LoginSession).where(LoginSession.user_id == accounts["agent"].id)).all() == []


def test_the_last_admin_cannot_lock_everyone_out(app, signed_in, accounts):
    admin = signed_in("admin")
    own = admin.client.post(f"/admin/users/{accounts['admin'].id}/deactivate",
                            data={"csrf_token": admin.token})
    assert own.status_code == 400 and "your own account" in own.get_data(as_text=True)
    demote = admin.client.post(f"/admin/users/{accounts['admin'].id}", data={
        "csrf_token": admin.token, "name": "Test Admin", "role": "agent"})
    assert demote.status_code == 400 and "last active admin" in demote.get_data(as_text=True)


def test_only_admins_manage_users(app, signed_in):
    assert signed_in("supervisor").get("/admin/users").status_code == 403
    assert signed_in("agent").get("/admin/users").status_code == 403
    page = signed_in("admin").get("/admin/users").get_data(as_text=True)
    assert "agent1" in page and "+447700900999" not in page  # the list shows no phone numbers


def test_an_adviser_s_phone_is_not_a_drama_number(app, signed_in, s):
    """The dialler will not ring a number kept for fiction (it rings no one): the admin page
    says so when the number is typed, not when the adviser's first call fails."""
    admin = signed_in("admin")
    base = {"csrf_token": admin.token, "name": "X", "role": "agent", "username": "newbie"}
    for fiction in ("+44 7700 900123", "+44 20 7946 0123", "+1 212 555 0142"):
        page = admin.client.post("/admin/users", data=base | {"phone": fiction})
        text = page.get_data(as_text=True)
        assert page.status_code == 400 and "kept for films and tests" in text and "rings no one" in text
    assert s.scalar(select(User).where(User.username == "newbie")) is None


def test_admins_see_what_the_browser_phone_still_needs(app, signed_in):
    """Setting names are for the admin's page (never the adviser's desk), in a sentence that wraps."""
    page = signed_in("admin").get("/admin/users").get_data(as_text=True)
    assert "the browser, which is not set up yet" in page
    assert "TWILIO_API_KEY, TWILIO_API_SECRET, TWILIO_TWIML_APP_SID" in page

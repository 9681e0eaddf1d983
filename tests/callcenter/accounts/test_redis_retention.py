"""Redis holds no caller number longer than the call needs: the web phone's call state, which
carries the number it calls from and the digits read back, expires a minute after the call ends."""

from __future__ import annotations

import pytest
from redis import Redis

from callcenter.webphone.views import ENDED_STATE_TTL_S, STATE_TTL_S, demo_number


@pytest.fixture
def app(make_app):
    return make_app(DEMO_PHONE=True)


def test_an_ended_web_phone_call_leaves_its_number_in_redis_a_minute_at_most(app, signed_in, accounts):
    desk = signed_in("agent")
    conn = Redis.from_url(app.config["REDIS_URL"])
    key = f"jobline:webphone:user:{accounts['agent'].id}"
    caller = demo_number(accounts["agent"].id)
    first = desk.send("POST", "/phone/api/call", {}).get_json()
    assert caller in conn.get(key).decode()  # during the call the page needs it
    assert ENDED_STATE_TTL_S < conn.ttl(key) <= STATE_TTL_S
    bye = desk.send("POST", "/phone/api/hangup", {"since": first["next"]}).get_json()
    assert bye["ended"] is True
    assert 0 < conn.ttl(key) <= ENDED_STATE_TTL_S

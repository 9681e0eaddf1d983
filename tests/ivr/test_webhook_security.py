"""Every webhook checks X-Twilio-Signature with the twilio library, fail-closed."""

from __future__ import annotations

import pytest

from config.settings import ConfigError
from tests.support.signing import FORM, sign

ENDPOINTS = ["/ivr/voice", "/ivr/language", "/ivr/node/main", "/ivr/node/main/input", "/ivr/voicemail",
             "/ivr/recording", "/ivr/status", "/ivr/fallback", "/ivr/recover"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_missing_or_wrong_signature_is_refused_on_every_webhook(client, path):
    assert client.post(path, data=FORM).status_code == 403
    bad = sign(f"http://localhost{path}", FORM, token="not-the-token")
    assert client.post(path, data=FORM, headers={"X-Twilio-Signature": bad}).status_code == 403


def test_signature_replayed_for_another_url_or_body_is_refused(client):
    good = sign("http://localhost/ivr/voice", FORM)
    assert client.post("/ivr/voice", data=FORM, headers={"X-Twilio-Signature": good}).status_code == 200
    assert client.post("/ivr/status", data=FORM, headers={"X-Twilio-Signature": good}).status_code == 403
    tampered = dict(FORM, From="+447700900999")
    assert client.post("/ivr/voice", data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403


@pytest.mark.parametrize("query", ["attempt=1&note=a+b", "attempt=1&q=it%27s", "attempt=1&q=it's",
                                   "attempt=1&town=M%C3%A1laga", "attempt=1&x=%2B44+7700"])
def test_action_urls_with_plus_quotes_and_non_ascii_validate(client, query):
    url = f"http://localhost/ivr/node/main/input?{query}"
    form = dict(FORM, Digits="9")
    voice_signature = sign("http://localhost/ivr/voice", FORM)
    client.post("/ivr/voice", data=FORM, headers={"X-Twilio-Signature": voice_signature})
    resp = client.post(f"/ivr/node/main/input?{query}", data=form,
                       headers={"X-Twilio-Signature": sign(url, form)})
    assert resp.status_code == 200 and b"<Gather" in resp.data


def test_behind_a_tls_proxy_public_base_url_rebuilds_the_signed_url(make_app):
    app = make_app(PUBLIC_BASE_URL="https://helpline.pes.example")
    client = app.test_client()
    as_twilio_sees_it = sign("https://helpline.pes.example/ivr/voice", FORM)
    assert client.post("/ivr/voice", data=FORM,
                       headers={"X-Twilio-Signature": as_twilio_sees_it}).status_code == 200
    internal = sign("http://localhost/ivr/voice", FORM)
    assert client.post("/ivr/voice", data=FORM, headers={"X-Twilio-Signature": internal}).status_code == 403


def test_behind_a_trusted_proxy_forwarded_headers_rebuild_the_signed_url(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    signature = sign("https://jobline.pes.example/ivr/voice", FORM)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "jobline.pes.example", "X-Forwarded-For": "203.0.113.9"}
    assert client.post("/ivr/voice", data=FORM, headers=headers).status_code == 200
    # Without a trusted proxy configured, the same forwarded headers are not believed.
    untrusting = make_app().test_client()
    assert untrusting.post("/ivr/voice", data=FORM, headers=headers).status_code == 403


def test_production_refuses_to_start_without_the_auth_token(make_app):
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        make_app(TWILIO_AUTH_TOKEN="")


def test_production_refuses_to_start_without_a_secret_key(make_app):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        make_app(SECRET_KEY="")

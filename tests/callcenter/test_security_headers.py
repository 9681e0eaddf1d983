"""Every page tells the browser to keep it to itself: a Content-Security-Policy, no framing, no
type sniffing, no path in the Referer to other sites; the session cookie is HttpOnly,
SameSite=Lax and, behind https, Secure; a page showing a one-time password is never cached.
In Chromium, the pages work under that policy (no violation reported)."""

from __future__ import annotations

import pytest

from tests.support.browser import sign_in_on
from tests.support.desk import TOKEN_RE


def _assert_protected(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("script-src") == "'self'" and "unsafe-inline" not in csp
    assert directives.get("object-src") == "'none'"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


def test_every_page_sends_the_security_headers(app, signed_in):
    anonymous = app.test_client()
    for path in ("/login", "/healthz", "/no-such-page", "/assets/app.css"):
        _assert_protected(anonymous.get(path))
    supervisor = signed_in("supervisor")
    for path in ("/desk", "/reports", "/reports/advisers", "/wallboard", "/flow", "/api/openapi.json"):
        response = supervisor.get(path)
        assert response.status_code == 200, path
        _assert_protected(response)
    admin = signed_in("admin")
    _assert_protected(admin.get("/admin/users"))


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


@pytest.mark.parametrize("base, secure", [("https://helpline.pes.example", True),
                                          ("http://127.0.0.1:5000", False)])
def test_the_session_cookie_is_httponly_samesite_lax_and_secure_behind_https(make_app, accounts, base,
                                                                              secure):
    app = make_app(PUBLIC_BASE_URL=base)
    client = app.test_client()
    html = client.get("/login", base_url=base).get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    response = client.post("/login", data={"username": "agent1", "password": "correct-horse-battery",
                                           "csrf_token": token}, base_url=base,
                           headers={"Referer": base + "/login"})  # Flask-WTF checks it over https
    assert response.status_code == 302
    flags = {part.strip().split("=")[0].lower(): part for part in _session_cookie(response).split(";")}
    assert "httponly" in flags
    assert flags.get("samesite", "").split("=")[-1] == "Lax"
    assert ("secure" in flags) is secure


def test_a_page_showing_a_one_time_password_is_never_stored(app, signed_in, accounts):
    admin = signed_in("admin")
    created = admin.client.post("/admin/users", data={
        "username": "new.adviser", "name": "New Adviser", "role": "agent", "csrf_token": admin.token})
    assert created.status_code == 201 and "one-time password" in created.get_data(as_text=True).lower()
    assert created.headers["Cache-Control"] == "no-store"
    reset = admin.client.post(f"/admin/users/{accounts['agent'].id}/reset-password",
                              data={"csrf_token": admin.token})
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    # Pages without a password stay cacheable as before.
    assert "no-store" not in admin.get("/admin/users").headers.get("Cache-Control", "")


CSP_WATCH = ("window.__cspViolations = [];"
             "document.addEventListener('securitypolicyviolation', e => "
             "window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));")


@pytest.mark.browser
def test_the_pages_work_under_the_content_security_policy(live, page, accounts):  # noqa: F811
    base, _fake = live
    page.add_init_script(CSP_WATCH)
    sign_in_on(page, base, "supervisor1")
    for path, ready in (("/desk", "#main"), ("/reports", ".rp-heat"), ("/wallboard", "#main"),
                        ("/flow", "svg")):
        page.goto(base + path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == [], path

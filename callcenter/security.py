"""What every browser page is sent to keep it to itself: session cookie flags and security headers.

- The session cookie is HttpOnly, SameSite=Lax, and Secure whenever PUBLIC_BASE_URL is https
  (set here, not left to Flask's defaults).
- Every response carries a Content-Security-Policy that allows only this site's own scripts and
  styles (the pages have no inline script or style; the Twilio Voice SDK is vendored under
  desk/static/vendor), plus the Voice SDK's connections to Twilio; frame-ancestors 'none' and
  X-Frame-Options DENY (no clickjacking); nosniff; a Referrer-Policy that sends no path to
  other sites.
- A page that shows a one-time password marks itself `no_store()`, so no browser or proxy cache
  keeps it.

Twilio's webhooks get no session and need none of these: they are sent to people's requests only
(callcenter/access.py `spare_webhooks`).
"""

from __future__ import annotations

from flask import Flask, Response, g

# The Voice SDK signals over secure WebSockets to Twilio's edges (voice-js.<edge>.twilio.com),
# reports call quality to eventgw.twilio.com and plays its ringing sounds from sdk.twilio.com
# (hosts found in desk/static/vendor/twilio-voice-sdk-2.18.5.min.js). Audio itself is WebRTC media,
# which CSP does not govern. Twilio lists the signalling hosts and ports at
# https://www.twilio.com/docs/voice/sdks/network-connectivity-requirements
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: https://sdk.twilio.com",
    "connect-src 'self' https://eventgw.twilio.com wss://*.twilio.com",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def no_store() -> None:
    """Mark the response being built as not to be stored by any cache (a one-time password)."""
    g.jobline_no_store = True


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if g.get("jobline_no_store"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
    return response


def init_app(app: Flask) -> None:
    """Set the session cookie's flags and add the security headers to every response.

    Overrides (tests, a deployment) may set SESSION_COOKIE_SECURE themselves; otherwise it
    follows PUBLIC_BASE_URL's scheme, since a cookie marked Secure is never sent over http."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SESSION_COOKIE_SECURE") is not True:
        app.config["SESSION_COOKIE_SECURE"] = str(app.config.get("PUBLIC_BASE_URL") or "").startswith(
            "https://")
    app.after_request(_add_headers)

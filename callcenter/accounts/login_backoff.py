"""Per-account backoff of failed sign-ins, and the browsers an account has signed in from.

OWASP ASVS V2.2.1 asks for anti-automation that stops credential stuffing and password spraying
without a hard lockout an attacker could use to keep a real adviser out. The sign-in limits
(callcenter/accounts/login.py) count failures per address; an attacker rotating addresses is held back
here, per account: after FREE_FAILURES failed sign-ins to one account within WINDOW, from any
address, every further attempt must wait a delay that doubles from 2 s up to MAX_DELAY after
the latest failure, and an attempt made during the wait is refused before the password is
checked. So a guesser gets about one guess a minute per account, while the adviser is never
made to wait more than a minute.

A browser that has signed in to the account before carries a signed "device cookie" (OWASP's
Slow Down Online Guessing Attacks with Device Cookies) naming the accounts it signed in to;
it skips this backoff and the per-address limit, so an attacker cannot hold back the adviser's
own browser at all.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from flask import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from redis import RedisError

from db.broker import redis_for

log = logging.getLogger(__name__)
FREE_FAILURES = 10  # as the per-username-and-address limit: typos and caps lock cost nothing
WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
MAX_DELAY = timedelta(seconds=60)
DEVICE_COOKIE = "jobline_device"
DEVICE_MAX_AGE = timedelta(days=90)
DEVICE_ACCOUNTS = 8  # a shared desk PC remembers this many accounts


def account_key(username: str) -> str:
    """The account's name in Redis keys and device cookies: hashed, so no username is stored."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:24]


def _redis_key(account: str) -> str:
    return f"jobline:login:backoff:{account}"


def wait_seconds(redis_url: str, account: str, now: datetime) -> int:
    """Seconds the account's next attempt must still wait (0: it may try now). Redis being down
    waives the wait: the per-address limits still hold, in memory."""
    if not redis_url:  # no Redis configured (a bare test app): the address limits still hold
        return 0
    try:
        until = redis_for(redis_url).hget(_redis_key(account), "until")
    except RedisError:
        log.warning("sign-in backoff unavailable: Redis did not answer")
        return 0
    if until is None:
        return 0
    return max(0, int(float(until) - now.timestamp() + 0.999))


def record_failure(redis_url: str, account: str, now: datetime) -> None:
    """Count a failed sign-in to the account and set how long its next attempt waits."""
    key = _redis_key(account)
    if not redis_url:
        return
    try:
        conn = redis_for(redis_url)
        failures = int(conn.hincrby(key, "failures", 1))
        if failures > FREE_FAILURES:
            delay = min(MAX_DELAY.total_seconds(), 2.0 ** (failures - FREE_FAILURES))
            conn.hset(key, "until", now.timestamp() + delay)
        conn.expire(key, int((WINDOW + MAX_DELAY).total_seconds()))
    except RedisError:
        log.warning("sign-in backoff unavailable: Redis did not answer")


def clear(redis_url: str, account: str) -> None:
    """The right password was given: the account's failures are forgotten."""
    if not redis_url:
        return
    try:
        redis_for(redis_url).delete(_redis_key(account))
    except RedisError:
        log.warning("sign-in backoff unavailable: Redis did not answer")


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="jobline-device-cookie")


def known_accounts(request: Request, secret_key: str) -> list[str]:
    """The accounts (hashed names) this browser has signed in to; [] for a missing, forged or
    expired cookie."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        accounts = _serializer(secret_key).loads(raw, max_age=int(DEVICE_MAX_AGE.total_seconds()))
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def remember_device(response: Response, request: Request, secret_key: str, account: str, *,
                    secure: bool) -> None:
    """Add the account to this browser's device cookie (HttpOnly, sent only to /login)."""
    accounts = [account] + [a for a in known_accounts(request, secret_key) if a != account]
    response.set_cookie(DEVICE_COOKIE, _serializer(secret_key).dumps(accounts[:DEVICE_ACCOUNTS]),
                        max_age=int(DEVICE_MAX_AGE.total_seconds()), path="/login", httponly=True,
                        secure=secure, samesite="Lax")

"""Helpdesk accounts: users and roles, argon2 password hashes, server-side login sessions.

A login session is a row whose id is the SHA-256 of a random token; the browser's signed
cookie carries only the token. Each request looks the row up: a missing row (logged out,
deactivated, password reset) or an idle one (no human activity for IDLE_TIMEOUT_MIN) signs the
browser out, so a copied cookie stops working as soon as its row is gone.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from config import settings
from db.advisers import set_status
from db.models import LoginSession, User, utcnow
from db.states import ROLES, AdviserStatus, Role
from ivr.telephony.numbers import WITHHELD_NUMBERS, Refusal, dialable_refusal, written_number

log = logging.getLogger(__name__)
hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take as long.
_DUMMY_HASH = hasher.hash("not-a-password-" + secrets.token_hex(8))
MIN_PASSWORD_LENGTH = 10
# zxcvbn's score 0-4: 3 is "safely unguessable" (about 10^8 guesses) in its authors' terms,
# enough against an online attack slowed by the sign-in limits; 'password12' scores 1.
MIN_PASSWORD_SCORE = 3
# The first-run admin's one-time password is printed on a terminal; unused, it stops working.
FIRST_ADMIN_OTP_TTL = timedelta(hours=24)
# Refresh last_seen_at at most this often: polling desks must not write on every request.
SEEN_WRITE_INTERVAL = timedelta(seconds=30)
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand


class AccountError(ValueError):
    """A user management request that cannot be done; the message says what to fix."""


# -- passwords ---------------------------------------------------------------------------------

def one_time_password() -> str:
    """A random password to hand over once, e.g. 'k7dm-x3pq-9tfw' (must be changed at first login)."""
    chars = [secrets.choice(_OTP_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i:i + 4]) for i in (0, 4, 8))


def check_new_password(password: str, username: str, name: str = "") -> None:
    """Raise AccountError with what to change when a chosen password is too short, contains the
    username, or is common or guessable (zxcvbn: dictionaries of leaked passwords, words,
    names, keyboard patterns, repeats and sequences, plus the person's own username and name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if username.lower() in password.lower():
        raise AccountError("Choose a password that does not contain your username.")
    verdict = zxcvbn(password[:100], user_inputs=[username, *name.split()])  # its cost grows with length
    if verdict["score"] < MIN_PASSWORD_SCORE:
        why = verdict["feedback"].get("warning") or "It is too easy to guess."
        raise AccountError(f"{why.rstrip('.')}. Choose a longer password that is not a common word "
                           "or pattern, e.g. three or four unrelated words.")


def set_password(user: User, password: str, *, one_time: bool) -> None:
    user.password_hash = hasher.hash(password)
    user.must_change_password = one_time


def verify_password(user: User | None, password: str) -> bool:
    """True when `password` matches; re-hashes with current argon2 parameters when they changed."""
    if user is None:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


# -- users -------------------------------------------------------------------------------------

def _clean_username(username: str) -> str:
    username = username.strip().lower()
    if not (2 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
        raise AccountError("A username is 2-64 letters, digits, dots, dashes or underscores.")
    return username


# What an admin is told when an adviser's phone is one Jobline will not ring (numbers.py rules).
PHONE_REFUSED = {
    Refusal.INVALID: "Write the phone number in international form: + and the country code "
                     "(+44 for the UK).",
    Refusal.COSTLY: "That is a premium-rate or special number; give the adviser's landline or mobile.",
}


def checked_phone(raw: str | None) -> str | None:
    """An adviser's phone as stored (spaces and punctuation dropped), or None for the browser.
    Raises AccountError saying what to fix when Jobline would not ring it: a withheld-ID
    stand-in, a premium or special number, or not a number in international form."""
    phone = written_number(raw)
    if phone in WITHHELD_NUMBERS:
        raise AccountError("That is how Twilio shows a withheld caller ID, not a phone; "
                           "give the adviser's own number.")
    refused = dialable_refusal(phone) if phone else None
    if refused is not None:
        raise AccountError(PHONE_REFUSED.get(refused, PHONE_REFUSED[Refusal.INVALID]))
    return phone or None


def create_user(
    s: Session,
    username: str,
    name: str,
    role: str,
    password: str | None = None,
    *,
    queues: Iterable[str] = (),
    languages: Iterable[str] = (),
    phone: str | None = None,
) -> tuple[User, str | None]:
    """Add an account (flushed, not committed). Without `password` a one-time password is made,
    returned, and must be changed at first login; with one, it is checked and kept.

    Raises AccountError (message says what to fix) for a bad username, role, password or a
    username already taken.
    """
    username = _clean_username(username)
    if role not in ROLES:
        raise AccountError(f"Role {role!r} does not exist; use one of: {', '.join(ROLES)}.")
    if not name.strip():
        raise AccountError("Give the person's name as colleagues know it.")
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"The username {username!r} is taken; choose another.")
    otp = None
    if password is None:
        otp = password = one_time_password()
    else:
        check_new_password(password, username, name)
    user = User(username=username, name=name.strip()[:120], role=role, password_hash="",
                queues=list(queues), languages=list(languages), phone=checked_phone(phone))
    set_password(user, password, one_time=otp is not None)
    s.add(user)
    s.flush()
    log.info("account %s created with role %s", user.id, role)
    return user, otp


def ensure_first_admin(s: Session, username: str = "admin", now: datetime | None = None) -> str | None:
    """On a database with no users, create an admin and return its one-time password (committed).

    When the only account is that first admin, never signed in and older than
    FIRST_ADMIN_OTP_TTL (its password has expired), it is made afresh: a new one-time password,
    valid another 24 h, is returned. Otherwise None. The password must be changed at first login."""
    now = now or utcnow()
    users = s.scalars(select(User).limit(2)).all()
    if not users:
        _user, otp = create_user(s, username, "Administrator", Role.ADMIN)
        s.commit()
        return otp
    if len(users) == 1 and first_admin_password_expired(s, users[0], now):
        admin = users[0]
        otp = one_time_password()
        set_password(admin, otp, one_time=True)
        admin.created_at = now  # made afresh: its 24 hours start again
        s.commit()
        return otp
    return None


def first_admin_password_expired(s: Session, user: User, now: datetime) -> bool:
    """True for the first-run admin (the first account) whose one-time password was never used
    and is older than FIRST_ADMIN_OTP_TTL: it may not sign in (README, Security)."""
    if not user.must_change_password or user.last_login_at is not None or user.role != Role.ADMIN:
        return False
    if now - user.created_at <= FIRST_ADMIN_OTP_TTL:
        return False
    return s.scalar(select(func.min(User.id))) == user.id


def reset_password(s: Session, user: User) -> str:
    """Give the user a new one-time password and sign out all their browsers."""
    otp = one_time_password()
    set_password(user, otp, one_time=True)
    end_sessions_of(s, user)
    return otp


def deactivate(s: Session, user: User, now: datetime) -> None:
    """Stop the account from signing in and sign out its browsers; its history stays."""
    user.active = False
    end_sessions_of(s, user)
    went_away(s, user, now)


def went_away(s: Session, user: User, now: datetime) -> None:
    """The person left the desk (logout, idle, deactivated): no more calls are routed to them.

    A busy adviser keeps their status: the call in progress ends through the routing rules.
    """
    if user.status in {AdviserStatus.AVAILABLE, AdviserStatus.BREAK, AdviserStatus.AFTER_CALL}:
        set_status(s, user, AdviserStatus.OFFLINE, now)


# -- login sessions ----------------------------------------------------------------------------

def _row_id(token: str) -> str:
    # Stored hashed: a copy of the table does not hand out working cookies.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(s: Session, user: User, now: datetime) -> str:
    """Open a login session for the user; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    s.add(LoginSession(id=_row_id(token), user_id=user.id, created_at=now, last_seen_at=now))
    user.last_login_at = now
    return token


def end_session(s: Session, token: str) -> None:
    s.execute(delete(LoginSession).where(LoginSession.id == _row_id(token)))


def end_sessions_of(s: Session, user: User, keep_token: str | None = None) -> None:
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.id != _row_id(keep_token))
    s.execute(query)


def resume_session(
    s: Session, token: str, now: datetime, idle: timedelta, active: bool = True
) -> User | None:
    """The user of a live login session, or None (and the row removed) when it is gone or idle.

    `active` is False for the desk's background polling: a page left open does not keep the
    session alive; only a person's requests (clicks, keys) do. Commits what it changes.
    """
    row = s.get(LoginSession, _row_id(token))
    if row is None:
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        s.delete(row)
        s.commit()
        return None
    if now - row.last_seen_at > idle:
        s.delete(row)
        if s.scalar(select(func.count(LoginSession.id)).where(LoginSession.user_id == user.id)) == 0:
            went_away(s, user, now)
        s.commit()
        log.info("login session of account %s ended after being idle", user.id)
        return None
    if active and now - row.last_seen_at > SEEN_WRITE_INTERVAL:
        row.last_seen_at = now
        s.commit()
    return user


def end_idle_sessions(s: Session, now: datetime, idle: timedelta) -> int:
    """Remove every login session idle longer than `idle`, and take offline the advisers left
    with none: a closed browser sends no request, yet calls must stop being routed to it.
    Commits; returns how many sessions ended."""
    stale = s.scalars(select(LoginSession).where(LoginSession.last_seen_at < now - idle)).all()
    if not stale:
        return 0
    user_ids = {row.user_id for row in stale}
    for row in stale:
        s.delete(row)
    s.flush()
    still_in = set(s.scalars(select(LoginSession.user_id).where(LoginSession.user_id.in_(user_ids))))
    for user in s.scalars(select(User).where(User.id.in_(user_ids - still_in))):
        went_away(s, user, now)
    s.commit()
    log.info("%d idle login sessions ended", len(stale))
    return len(stale)


def idle_timeout(config: dict) -> timedelta:
    return timedelta(minutes=int(config.get("IDLE_TIMEOUT_MIN") or settings.IDLE_TIMEOUT_MIN))


def clock(config: dict) -> datetime:
    """Now, from the app's CLOCK (tests set it) or the real UTC time."""
    return config.get("CLOCK", utcnow)()

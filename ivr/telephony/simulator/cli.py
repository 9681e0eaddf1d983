"""`run.py simulate`: a call placed from the terminal, what the caller hears printed."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask

from config import settings
from ivr.telephony.simulator.phone import Phone
from ivr.telephony.simulator.transport import FlaskTransport, HttpTransport, Transport


def run_cli(url: str, keys: str, caller: str,
            make_app: Callable[[], Flask]) -> None:  # pragma: no cover - interactive
    """Print what the caller hears; take keys from --keys or the keyboard. Against `url` when
    given, else in-process against the app `make_app` builds (run.py's create_app)."""
    if url:
        transport: Transport = HttpTransport(url)
    else:
        app = make_app()
        transport = FlaskTransport(app.test_client())
    token = settings.auth_token()
    if not token:
        raise click.UsageError("TWILIO_AUTH_TOKEN is not set (or use JOBLINE_ENV=development)")
    phone = Phone(transport, token, caller=caller)
    script = [k.strip() for k in keys.split(",")] if keys else None
    shown = 0
    phone.dial()
    while True:
        for h in phone.heard[shown:]:
            click.echo(f"  [{h.language or '?'}] {h.text}")
        shown = len(phone.heard)
        if phone.ended:
            phone.hangup()
            click.echo("-- call ended")
            return
        waiting = phone.pending.tag if phone.pending is not None else "?"
        if script is not None:
            if not script:
                phone.hangup()
                click.echo("-- hung up (no more keys)")
                return
            key = script.pop(0)
            click.echo(f"> {key}")
        else:
            key = click.prompt(f"{waiting}: keys (- for silence, q to hang up)", default="-")
        if key == "q":
            phone.hangup()
            click.echo("-- hung up")
            return
        if waiting == "Record":
            phone.record() if key != "-" else phone.silence()
        elif key == "-":
            phone.silence()
        else:
            phone.press(key)

"""The fallback for when Jobline itself is down: a static TwiML document built once from the flow
file, to host off-box (a TwiML Bin, or any static web host) and set as the number's fallback.

Twilio requests the number's Fallback URL when the Voice URL fails or does not answer within
15 s (https://www.twilio.com/docs/api/errors/11205); `/ivr/fallback` answers that as long as
Jobline runs, but a stopped server answers nothing, and the caller would hear Twilio's own error
message. This document needs no server of ours: every language of the flow, in its own voice,
says the service is down (and the opening hours), then the call ends or goes to a backup number.
A language heard only from recordings is left out: its files are served by Jobline itself.

    python -m ivr.offline_twiml > ivr/static/fallback.xml            # the shipped file
    python -m ivr.offline_twiml --dial +441234567890 > backup.xml     # put callers through instead
"""

from __future__ import annotations

import argparse
from pathlib import Path

from twilio.twiml.voice_response import VoiceResponse

from config import settings
from config.flow import Flow, load_flow
from ivr.queue import prompts as qp
from ivr.telephony.twiml import Speaker

SHIPPED = Path(__file__).with_name("static") / "fallback.xml"


def build(flow: Flow, dial: str | None = None) -> VoiceResponse:
    """Each language in the flow's order: the service is down, and the hours; then <Hangup>, or
    <Dial> to `dial` (an E.164 backup number) when given."""
    reply = VoiceResponse()
    for language in flow.languages:
        if language.recorded_only:  # its recordings are served by Jobline, which is down
            continue
        sp = Speaker(flow, language.code)
        qp.say(sp, reply, "service_down_dial" if dial else "service_down")
        if not dial:
            sp.prompt(reply, "hours")
    if dial:
        reply.dial(dial)
    else:
        reply.hangup()
    return reply


def main() -> None:  # pragma: no cover - a one-off command; build() is what the tests check
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flow", type=Path, default=settings.IVR_FILE, help="the flow file")
    parser.add_argument("--dial", help="a backup number (E.164) to put callers through to")
    args = parser.parse_args()
    print(str(build(load_flow(args.flow), args.dial)))


if __name__ == "__main__":
    main()

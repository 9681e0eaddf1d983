"""The caller simulator: a phone that calls Jobline's webhooks as Twilio does (phone.py), what Twilio
does around <Enqueue> and <Dial> (queue_and_dial.py), the ways to reach the app (transport.py),
<Play> lengths (media.py) and `run.py simulate` (cli.py). Its rules and their sources: ivr/SIMULATOR.md.

    phone = Phone(FlaskTransport(app.test_client()), token)
    phone.dial(); phone.press("1"); phone.heard
"""

from ivr.telephony.simulator.media import wav_seconds
from ivr.telephony.simulator.phone import (
    RECORD_FINISH_DEFAULT,
    WITHHELD_CALLER_IDS,
    Heard,
    Phone,
    withheld_phone,
)
from ivr.telephony.simulator.transport import CallError, FlaskTransport, HttpTransport, Transport

__all__ = ["RECORD_FINISH_DEFAULT", "WITHHELD_CALLER_IDS", "CallError", "FlaskTransport", "Heard",
           "HttpTransport", "Phone", "Transport", "wav_seconds", "withheld_phone"]

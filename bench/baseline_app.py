"""The baseline for bench_webhooks: what Twilio's own Flask IVR sample does per request.

Every POST builds a constant <Gather><Say> menu with the twilio library and returns it.
Served by gunicorn with the same settings as Jobline: `gunicorn bench.baseline_app:app`.
"""

from flask import Flask, Response
from twilio.twiml.voice_response import Gather, VoiceResponse

app = Flask(__name__)


@app.post("/", defaults={"path": ""})
@app.post("/<path:path>")
def menu(path: str) -> Response:
    reply = VoiceResponse()
    gather = Gather(num_digits=1, action="/ivr/menu", method="POST")
    gather.say("For registration, press 1. For benefits, press 2. To speak to an adviser, press 0.",
               voice="Polly.Joanna-Neural", language="en-US")
    reply.append(gather)
    reply.redirect("/ivr/menu", method="POST")
    return Response(str(reply), mimetype="text/xml")

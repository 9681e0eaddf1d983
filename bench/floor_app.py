"""Jobline's floor for bench_webhooks: the real app (its hooks, the signature check, form parsing)
with one more signed route that returns the baseline's constant menu and never touches the
database or the engine. The gap between this and the baseline is what any signed webhook costs
in this app; the gap between this and the real call flow is the IVR's own work.

    gunicorn 'bench.floor_app:app'
"""

from flask import Response, request

from bench.baseline_app import menu
from ivr.telephony.signature import twilio_signed
from run import create_app

app = create_app()


@twilio_signed
def floor(path: str) -> Response:
    request.form.get("Digits")  # read the webhook as a step would
    return menu(path)


app.add_url_rule("/ivr/floor/<path:path>", endpoint="ivr.floor", view_func=floor, methods=["POST"])

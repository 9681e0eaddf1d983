"""Thin Twilio webhooks: each view checks the signature, runs one step and renders TwiML; failure.py is
the one error policy they share."""

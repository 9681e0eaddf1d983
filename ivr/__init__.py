"""Twilio webhooks: signature check, the IVR engine walking config/ivr.yaml, TwiML, call records."""

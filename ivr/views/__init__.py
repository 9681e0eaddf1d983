"""Thin Twilio webhooks: each view checks the signature, runs one step and renders TwiML."""

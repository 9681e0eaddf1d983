"""Twilio-facing rules that both the IVR and the desk need; a leaf package: it imports only
`config` of ours, so `callcenter` may use it without reaching into the rest of `ivr`."""

"""Recorded prompts (config/flow_audio.py) as Twilio fetches them for <Play>: public files from
the flow's audio folder, cacheable.

Twilio caches <Play> media by its HTTP headers (https://www.twilio.com/docs/voice/twiml/play;
https://support.twilio.com/hc/en-us/articles/223180508-How-can-I-change-the-cache-behavior-of-audio-files):
Cache-Control max-age lets it skip us for a day, ETag / Last-Modified let it revalidate with a 304. A replaced
recording reaches callers at once all the same: its URL carries the file's version (`v`, from
its modification time), so a new file is a new URL to every cache.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from ivr.views.inputs import flow

bp = Blueprint("ivr_prompt_audio", __name__, url_prefix="/ivr/prompts")
MAX_AGE_S = 24 * 3600


# The <Play> URL is built by ivr/telephony/twiml.py, prompt_url.


@bp.get("/<path:filename>", endpoint="static")  # ".static": public (callcenter/access.py)
def audio(filename: str) -> Response:
    """Only the files the flow names: the folder may hold drafts and replaced recordings."""
    if filename not in flow().recordings.transcripts:  # every file a recording of the flow plays
        return Response("not a prompt of the flow", status=404, mimetype="text/plain")
    return send_from_directory(flow().audio_dir, filename, max_age=MAX_AGE_S, conditional=True, etag=True)

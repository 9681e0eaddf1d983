"""The call: Twilio webhooks (views/), the engine walking config/ivr.yaml and what its node actions
do (actions/), the queue (queue/), and the Twilio plumbing the desk shares (telephony/).

Everything is registered here, in `init_app`: the node actions the engine runs and the webhook
blueprints. Importing `ivr.telephony` (as callcenter does) runs this file too, which is why the
rest of ivr is imported inside `init_app`, when the app registers it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the node actions and the webhook blueprints (every view checks X-Twilio-Signature)."""
    from ivr import engine
    from ivr.actions import capture, speech_capture, texts, voicemail
    from ivr.actions import queue as queue_action
    from ivr.views import callback_calls, observe, prompt_audio, queue, survey, webhooks, whisper

    engine.register("menu", engine.menu)
    engine.register("say", engine.say_info, texts.info_input)
    engine.AFTER_INFO[:] = [texts.offer]
    engine.register("hangup", engine.hangup)
    engine.register("language", engine.language_node)
    engine.register("capture", capture.ask, capture.capture_input)
    engine.register("record", speech_capture.ask, speech_capture.answered)
    engine.register("voicemail", voicemail.voicemail)
    engine.register("queue", queue_action.enter_queue)

    app.register_blueprint(webhooks.bp)  # /ivr: the calls, their menus, messages and status
    app.register_blueprint(queue.bp)  # /ivr/queue: hold loop, ways out, connecting
    app.register_blueprint(whisper.bp)  # /ivr/queue: the adviser's leg
    app.register_blueprint(callback_calls.bp)  # /ivr/queue: the calls placed for callbacks
    app.register_blueprint(prompt_audio.bp)  # /ivr/prompts: recorded prompts for <Play>
    app.register_blueprint(survey.bp)  # /ivr/survey: the question after the call
    # Last: its hooks go first in each blueprint's list (the latency includes theirs).
    observe.init_app(app, [webhooks.bp.name, queue.bp.name, whisper.bp.name, callback_calls.bp.name,
                           survey.bp.name])

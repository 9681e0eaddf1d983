"""The queue's state: hold loop, adviser legs, connecting, the whisper, callbacks dialled out, lost calls."""

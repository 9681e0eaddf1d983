"""Offline speech: audio checks and conversion, Vosk models, transcription, spoken numbers and
intents, and the RQ jobs that run them (see jobs.py; the worker is worker.py)."""

"""Helpers the tests share (processes, ...): imported by tests, never a test module itself."""

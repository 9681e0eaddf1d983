"""Hourly rollups of settled rows: built by the worker, read by the reports."""

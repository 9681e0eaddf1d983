"""Jobline configuration: environment settings and the IVR flow file."""

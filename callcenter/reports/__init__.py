"""Supervisors: metrics, the wallboard, reports, exports, charts, the flow map, rollups."""

"""Demo data: a realistic, safe helpdesk day for trying Jobline."""

"""People: users, sign-in, the admin pages, the audit log, privacy requests."""

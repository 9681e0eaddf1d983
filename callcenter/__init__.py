"""The people side: agent desk, routing, callbacks, supervisor wallboard and reports, accounts."""

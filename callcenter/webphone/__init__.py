"""The browser web phone: the caller simulator on a page, bridged to the REST API."""

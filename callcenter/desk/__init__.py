"""The adviser's desk: the page, its JSON API, the caller summary, recordings, the OpenAPI spec."""

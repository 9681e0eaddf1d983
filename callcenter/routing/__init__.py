"""Who takes which call: claims, callbacks, advisers and their status."""

"""The queue: hold loop, adviser legs, connecting, callbacks dialled out, lost calls."""

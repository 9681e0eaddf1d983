"""What a flow node does when the caller reaches it: capture, record, voicemail, queue, callback request."""

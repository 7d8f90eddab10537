"""Protocol-level error texts, worded as Asterisk words them."""

LINE_TOO_LONG = "Failed to parse message: line too long"
TOO_MANY_HEADERS = "Too many lines in message or allocation failure"


class ProtocolError(Exception):
    """The peer broke the framing rules in a way that ends the connection."""

"""The Asterisk Manager Interface server."""

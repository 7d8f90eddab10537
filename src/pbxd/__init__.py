"""pbxd: a PBX with a wire-compatible Asterisk Manager Interface."""

__version__ = "0.1.0"

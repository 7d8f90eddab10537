"""Client side of the manager protocol (uses only pbxd.protocol)."""

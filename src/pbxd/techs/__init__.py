"""Channel technologies (plug-ins the PBX looks up by name)."""

"""Network listeners that carry the manager protocol."""

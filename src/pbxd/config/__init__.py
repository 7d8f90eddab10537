"""Configuration: Asterisk ``.conf`` parsing, typed values and directory layout."""

from pbxd.config.conf import Category, ConfigFile, Entry, Problem, load, loads

__all__ = ["Category", "ConfigFile", "Entry", "Problem", "load", "loads"]

"""Shared helpers for pbxd's black-box tests: server processes, raw AMI sockets, transcripts."""

from __future__ import annotations

from pathlib import Path

#: The repository root (the directory holding ``src/`` and ``tests/``).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Recordings and configuration of a real Asterisk 20.20.1 (read-only, outside the repo).
REFERENCE_DIR = REPO_ROOT / ".." / "shared" / "reference" / "asterisk-20"
REFERENCE_CONF = REFERENCE_DIR / "conf"
TRANSCRIPTS_DIR = REFERENCE_DIR / "transcripts"

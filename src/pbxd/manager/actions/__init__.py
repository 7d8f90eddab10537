"""Thin action handlers grouped by area; importing this package registers them all."""

from . import bridging, channels, dialplan, login, media, modules, parking, recording, system  # noqa: F401

parking.install()

from . import queues  # noqa: E402

queues.install()

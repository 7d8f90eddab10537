"""Thin action handlers grouped by area; importing this package registers them all."""

from . import (  # noqa: F401
    astdb,
    bridging,
    channels,
    dialplan,
    extensions,
    login,
    media,
    modules,
    parking,
    peers,
    recording,
    system,
    voicemail,
)

parking.install()

from . import queues  # noqa: E402

queues.install()

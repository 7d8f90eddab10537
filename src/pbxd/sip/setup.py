"""Attaching sip.conf and iax.conf to a PBX: ``pbx.sip`` (a SipService) and ``pbx.iax``,
with their CLI commands. Without sip.conf there is no ``pbx.sip`` and no ``sip`` commands,
as Asterisk declines to load chan_sip without it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..iax import IaxConfig, read_iax_conf
from .cli import register_iax_cli, register_sip_cli
from .config import SipConfig, read_sip_conf
from .service import SipService

if TYPE_CHECKING:
    from ..pbx.core import PBX


def attach_peers(
    pbx: PBX, directory: Path, sip: SipConfig | None = None, iax: IaxConfig | None = None
) -> None:
    """``sip``/``iax``: the files as the configuration loaded them (read from ``directory``
    when not given); ``sip reload`` reads sip.conf again."""
    if sip is None:
        sip = read_sip_conf(directory, [])
    if iax is None:
        iax = read_iax_conf(directory, [])
    if sip is not None:
        pbx.sip = SipService(pbx, sip, reload=lambda: read_sip_conf(directory, []))
        register_sip_cli(pbx)
    pbx.iax = iax
    if iax is not None:
        register_iax_cli(pbx)

"""CLI: voicemail show users [for <context>], voicemail show zones, voicemail reload."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..cli import CliFailure, ShowUsage

if TYPE_CHECKING:
    from ..core import PBX
    from .service import Voicemail

USERS_ROW = "{:<10s} {:<5s} {:<25s} {:<10s} {:>6s}"
ZONES_ROW = "{:<15s} {:<20s} {:<45s}"


def register_cli(pbx: PBX) -> None:
    from .service import voicemail_of

    cli = pbx.cli

    def service() -> Voicemail:
        found = voicemail_of(pbx)
        if found is None:
            raise CliFailure("There are no voicemail users currently defined")
        return found

    @cli.register(
        "voicemail show users",
        "List defined voicemail boxes",
        "Usage: voicemail show users [for <context>]\n       Lists all mailboxes currently set up",
        takes_args=True,
    )
    def show_users(args: list[str]) -> list[str]:
        if args and (len(args) != 2 or args[0] != "for"):
            raise ShowUsage
        context = args[1] if args else None
        users = service().settings.users
        if not users:
            raise CliFailure("There are no voicemail users currently defined")
        chosen = [u for u in users if context is None or u.context == context]
        if not chosen:
            raise CliFailure(f'No such voicemail context "{context}"')
        lines = [USERS_ROW.format("Context", "Mbox", "User", "Zone", "NewMsg")]
        for user in chosen:
            new = service().counts(user.mailbox, user.context or "default").new
            lines.append(
                USERS_ROW.format(user.context, user.mailbox, user.fullname, user.zonetag, str(new))
            )
        lines.append(f"{len(chosen)} voicemail users configured.")
        return lines

    @cli.register(
        "voicemail show zones",
        "List zone message formats",
        "Usage: voicemail show zones\n       Lists zone message formats",
    )
    def show_zones(args: list[str]) -> list[str]:
        zones = service().settings.zones
        if not zones:
            raise CliFailure("There are no voicemail zones currently defined")
        lines = [ZONES_ROW.format("Zone", "Timezone", "Message Format")]
        lines += [ZONES_ROW.format(z.name, z.timezone, z.message_format) for z in zones]
        return lines

    @cli.register(
        "voicemail reload",
        "Reload voicemail configuration",
        "Usage: voicemail reload\n       Reload voicemail configuration",
    )
    def reload(args: list[str]) -> list[str]:
        service().reload()  # as app_voicemail's own command: no Reload event
        return ["Reloading voicemail configuration..."]

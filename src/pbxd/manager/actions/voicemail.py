"""Voicemail actions: MailboxStatus, MailboxCount (manager.c's, answered from the spool) and
app_voicemail's VoicemailUsersList, VoicemailUserStatus, VoicemailRefresh, VoicemailBoxSummary,
VoicemailMove, VoicemailRemove, VoicemailForward."""

from __future__ import annotations

from ...pbx.voicemail import Voicemail, split_mailbox, voicemail_of
from ...pbx.voicemail.service import Counts
from ...pbx.voicemail.settings import Mailbox
from ...protocol import Message
from ..privileges import Privilege
from ..registry import Argument, action
from ..response import Fields, Response, error, event_list, success
from ..session import Session

CALL_REPORTING = Privilege.CALL | Privilege.REPORTING
MAILBOX_ARGUMENT = Argument(
    "Mailbox", "Full mailbox ID <replaceable>mailbox</replaceable>@<replaceable>vm-context</replaceable>.", True
)


def _service(session: Session) -> Voicemail | None:
    return voicemail_of(session.manager.pbx)


def _named_user(
    session: Session, message: Message, unknown: str
) -> tuple[Voicemail, Mailbox] | Response:
    """The user the Context and Mailbox headers name, else the answer Asterisk gives."""
    context, mailbox = message.get("context"), message.get("mailbox")
    if not context or not mailbox:
        return error("Need 'Context' and 'Mailbox' parameters.")
    service = _service(session)
    user = service.find(context, mailbox) if service is not None else None
    if service is None or user is None:
        return success(unknown)
    return service, user


@action(
    "MailboxStatus",
    CALL_REPORTING,
    "Check mailbox.",
    description="Checks a voicemail account for status. Returns whether there are messages "
    "waiting. Message: Mailbox Status. Mailbox: <mailboxid>. Waiting: <0 if messages "
    "waiting, 1 if no messages waiting>.",
    arguments=(MAILBOX_ARGUMENT,),
    since="0.2.0",
)
def mailbox_status(session: Session, message: Message) -> Response:
    mailbox = message.get("mailbox")
    if not mailbox:
        return error("Mailbox not specified")
    service = _service(session)
    waiting = service is not None and service.has_new(mailbox)
    return success("Mailbox Status", [("Mailbox", mailbox), ("Waiting", "1" if waiting else "0")])


@action(
    "MailboxCount",
    CALL_REPORTING,
    "Check Mailbox Message Count.",
    description="Checks a voicemail account for new messages. Returns number of urgent, new "
    "and old messages. Message: Mailbox Message Count. Mailbox: <mailboxid>. "
    "UrgentMessages: <count>. NewMessages: <count>. OldMessages: <count>.",
    arguments=(MAILBOX_ARGUMENT,),
    since="1.2.0",
)
def mailbox_count(session: Session, message: Message) -> Response:
    mailbox = message.get("mailbox")
    if not mailbox:
        return error("Mailbox not specified")
    service = _service(session)
    counts = service.inbox_count(mailbox) if service is not None else Counts()
    return success(
        "Mailbox Message Count",
        [
            ("Mailbox", mailbox),
            ("UrgMessages", str(counts.urgent)),
            ("NewMessages", str(counts.new)),
            ("OldMessages", str(counts.old)),
        ],
    )


def user_fields(service: Voicemail, user: Mailbox) -> Fields:
    """A voicemail user as app_voicemail lists it (VoicemailUserEntry/Detail)."""
    settings = service.settings
    counts = service.counts(user.mailbox, user.context)
    yes = {True: "Yes", False: "No"}
    return [
        ("VMContext", user.context),
        ("VoiceMailbox", user.mailbox),
        ("Fullname", user.fullname),
        ("Email", user.email),
        ("Pager", user.pager),
        ("ServerEmail", user.serveremail or settings.serveremail),
        ("FromString", user.fromstring or settings.fromstring),
        ("MailCommand", settings.mailcmd),
        ("Language", user.language),
        ("TimeZone", user.zonetag),
        ("Callback", user.callback),
        ("Dialout", user.dialout),
        ("UniqueID", user.uniqueid),
        ("ExitContext", user.exitcontext),
        ("SayDurationMinimum", str(user.saydurationm)),
        ("SayEnvelope", yes[user.envelope]),
        ("SayCID", yes[user.saycid]),
        ("AttachMessage", yes[user.attach]),
        ("AttachmentFormat", user.attachfmt),
        ("DeleteMessage", yes[user.delete]),
        ("VolumeGain", f"{user.volgain:.2f}"),
        ("CanReview", yes[user.review]),
        ("CanMarkUrgent", yes[user.leaveurgent]),
        ("CallOperator", yes[user.operator]),
        ("MaxMessageCount", str(user.maxmsg)),
        ("MaxMessageLength", str(user.maxsecs)),
        ("NewMessageCount", str(counts.new)),
        ("OldMessageCount", str(counts.old)),
    ]


@action(
    "VoicemailUsersList",
    CALL_REPORTING,
    "List All Voicemail User Information.",
    since="1.6.1.0",
    list_responses=("VoicemailUserEntry",),
    final_response="VoicemailUserEntryComplete",
    provided_by="app_voicemail",
)
def voicemail_users_list(session: Session, message: Message) -> Response:
    service = _service(session)
    users = service.settings.users if service is not None else []
    if service is None or not users:
        return success("There are no voicemail users currently defined.")
    items = [("VoicemailUserEntry", user_fields(service, user)) for user in users]
    return event_list("Voicemail user list will follow", items, "VoicemailUserEntryComplete")


@action(
    "VoicemailUserStatus",
    CALL_REPORTING,
    "Show the status of given voicemail user's info.",
    description="Retrieves the status of the given voicemail user.",
    arguments=(
        Argument("Context", "The context you want to check.", True),
        Argument("Mailbox", "The mailbox you want to check.", True),
    ),
    since="16.0.0",
    list_responses=("VoicemailUserDetail",),
    final_response="VoicemailUserDetailComplete",
    provided_by="app_voicemail",
)
def voicemail_user_status(session: Session, message: Message) -> Response:
    found = _named_user(session, message, "There is no voicemail user of the given info.")
    if isinstance(found, Response):
        return found
    service, user = found
    items = [("VoicemailUserDetail", user_fields(service, user))]
    return event_list("Voicemail user detail will follow", items, "VoicemailUserDetailComplete")


@action(
    "VoicemailRefresh",
    Privilege.USER,
    "Tell Asterisk to poll mailboxes for a change",
    description="Normally, MWI indicators are only sent when Asterisk itself changes a "
    "mailbox. With external programs that modify the content of a mailbox from outside the "
    "application, an option exists called pollmailboxes that will cause voicemail to "
    "continually scan all mailboxes on a system for changes. This can cause a large amount "
    "of load on a system. This command allows external applications to signal when a "
    "particular mailbox has changed, thus permitting external applications to modify "
    "mailboxes and MWI to work without introducing considerable CPU load.",
    arguments=(
        Argument("Context", "Only poll mailboxes of this context."),
        Argument("Mailbox", "Only poll this mailbox (with Context: of that context)."),
    ),
    since="12.0.0",
    provided_by="app_voicemail",
)
def voicemail_refresh(session: Session, message: Message) -> Response:
    service = _service(session)
    if service is not None:
        context, mailbox = message.get("context"), message.get("mailbox")
        if mailbox and "@" in mailbox and not context:
            mailbox, context = split_mailbox(mailbox)
        service.poll(context, mailbox, force=True)
    return success("Refresh sent")


def _required(message: Message, *names: str) -> str | None:
    """The first missing header, in Asterisk's words."""
    for name in names:
        if not message.get(name.lower()):
            return f"{name} not specified, required"
    return None


@action(
    "VoicemailBoxSummary",
    CALL_REPORTING,
    "Show the mailbox contents of given voicemail user.",
    description="Retrieves the contents of the given voicemail user's mailbox.",
    arguments=(
        Argument("Context", "The context you want to check.", True),
        Argument("Mailbox", "The mailbox you want to check.", True),
    ),
    since="20.5.0, 18.20.0",
    list_responses=("VoicemailBoxDetail",),
    final_response="VoicemailBoxDetailComplete",
    provided_by="app_voicemail",
)
def voicemail_box_summary(session: Session, message: Message) -> Response:
    found = _named_user(session, message, "There is no voicemail user matching the given user.")
    if isinstance(found, Response):
        return found
    service, user = found
    items = [
        (
            "VoicemailBoxDetail",
            [
                ("Folder", stored.folder),
                ("CallerID", stored.info.get("callerid", "")),
                ("Date", stored.info.get("origdate", "")),
                ("Duration", stored.info.get("duration", "")),
                ("Flag", stored.info.get("flag", "")),
                ("ID", stored.msg_id),
            ],
        )
        for stored in service.summary(user)
    ]
    return event_list("Voicemail box detail will follow", items, "VoicemailBoxDetailComplete")


#: The answers of the voicemail API actions carry a newline in their Message, as Asterisk's.
_OUTCOME = {True: "successful\n", False: "failed\n"}


@action(
    "VoicemailMove",
    Privilege.USER,
    "Move Voicemail between mailbox folders of given user.",
    arguments=(
        Argument("Context", "The context of the Voicemail box.", True),
        Argument("Mailbox", "The mailbox of the Voicemail box.", True),
        Argument("Folder", "The Folder containing the message to move.", True),
        Argument("ID", "The ID of the message to move.", True),
        Argument("ToFolder", "The Folder to move the message to.", True),
    ),
    provided_by="app_voicemail",
)
def voicemail_move(session: Session, message: Message) -> Response:
    missing = _required(message, "Mailbox", "Context", "Folder", "ID", "ToFolder")
    if missing:
        return error(missing)
    service = _service(session)
    moved = service is not None and service.move_messages(
        message.get("mailbox"), message.get("context"), message.get("folder"),
        [message.get("id")], message.get("tofolder"),
    )  # fmt: skip
    return success("Message move " + _OUTCOME[moved])


@action(
    "VoicemailRemove",
    Privilege.USER,
    "Remove Voicemail from mailbox folder.",
    arguments=(
        Argument("Context", "The context of the Voicemail box.", True),
        Argument("Mailbox", "The mailbox of the Voicemail box.", True),
        Argument("Folder", "The Folder containing the message to remove.", True),
        Argument("ID", "The ID of the message to remove.", True),
    ),
    provided_by="app_voicemail",
)
def voicemail_remove(session: Session, message: Message) -> Response:
    missing = _required(message, "Mailbox", "Context", "Folder", "ID")
    if missing:
        return error(missing)
    service = _service(session)
    removed = service is not None and service.remove_messages(
        message.get("mailbox"), message.get("context"), message.get("folder"), [message.get("id")]
    )
    return success("Message remove " + _OUTCOME[removed])


@action(
    "VoicemailForward",
    Privilege.USER,
    "Forward Voicemail from one mailbox folder to another between given users.",
    arguments=(
        Argument("Context", "The context of the Voicemail box to forward from.", True),
        Argument("Mailbox", "The mailbox of the Voicemail box to forward from.", True),
        Argument("Folder", "The Folder containing the message to forward.", True),
        Argument("ID", "The ID of the message to forward.", True),
        Argument("ToContext", "The context of the Voicemail box to forward to.", True),
        Argument("ToMailbox", "The mailbox of the Voicemail box to forward to.", True),
        Argument("ToFolder", "The Folder to forward the message to.", True),
    ),
    provided_by="app_voicemail",
)
def voicemail_forward(session: Session, message: Message) -> Response:
    missing = _required(
        message, "Mailbox", "Context", "Folder", "ID", "ToMailbox", "ToContext", "ToFolder"
    )
    if missing:
        return error(missing)
    service = _service(session)
    forwarded = service is not None and service.forward_messages(
        (message.get("mailbox"), message.get("context"), message.get("folder")),
        (message.get("tomailbox"), message.get("tocontext"), message.get("tofolder")),
        [message.get("id")],
    )
    return success("Message forward " + _OUTCOME[forwarded])

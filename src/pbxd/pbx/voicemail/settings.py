"""voicemail.conf as app_voicemail reads it: ``[general]``, ``[zonemessages]`` and one
category per voicemail context holding ``mailbox => password,name,email,pager,options``.

Nothing here raises on bad content: a broken line is a warning (with its file:line) and is
left out, as Asterisk logs and skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ...config.conf import Category, ConfigFile, Entry, Problem
from ...config.values import Settings, is_true

#: app_voicemail's limits: the default and the largest ``maxmsg``.
MAXMSG = 100
MAXMSGLIMIT = 9999
SENDMAIL = "/usr/sbin/sendmail -t"
SERVER_EMAIL = "asterisk"
#: Categories of voicemail.conf that are not voicemail contexts.
RESERVED = ("general", "zonemessages")


@dataclass(frozen=True, slots=True)
class Zone:
    """A ``[zonemessages]`` entry: how a message's date is said in a time zone."""

    name: str
    timezone: str
    message_format: str


@dataclass(slots=True)
class Mailbox:
    """One voicemail user (``ast_vm_user``): the general defaults, then its own options.
    Not changed once read (not frozen only because frozen ones are slow to make)."""

    context: str
    mailbox: str
    password: str = ""
    fullname: str = ""
    email: str = ""
    pager: str = ""
    serveremail: str = ""
    fromstring: str = ""
    language: str = ""
    zonetag: str = ""
    callback: str = ""
    dialout: str = ""
    uniqueid: str = ""
    exitcontext: str = ""
    saydurationm: int = 2
    envelope: bool = True
    saycid: bool = False
    attach: bool = True
    attachfmt: str = ""
    delete: bool = False
    volgain: float = 0.0
    review: bool = False
    leaveurgent: bool = True
    operator: bool = False
    moveheard: bool = True
    maxmsg: int = MAXMSG
    maxsecs: int = 0
    minsecs: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.context.lower(), self.mailbox.lower()

    @property
    def mailbox_id(self) -> str:
        """``mailbox@context``, as MWI names it."""
        return f"{self.mailbox}@{self.context}"


@dataclass
class VoicemailSettings:
    """What voicemail.conf configured; ``users`` in file order."""

    format: str = "wav"
    serveremail: str = SERVER_EMAIL
    fromstring: str = ""
    mailcmd: str = SENDMAIL
    pollmailboxes: bool = False
    pollfreq: int = 30
    maxlogins: int = 3
    maxgreet: int = 0  # seconds a greeting may last (0: no limit)
    emailsubject: str = ""
    emailbody: str = ""
    pagersubject: str = ""
    pagerbody: str = ""
    emaildateformat: str = "%A, %B %d, %Y at %r"
    defaults: Mailbox = field(default_factory=lambda: Mailbox("", ""))
    users: list[Mailbox] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    _index: dict[tuple[str, str], Mailbox] = field(default_factory=dict, repr=False)

    def add(self, user: Mailbox) -> None:
        self.users.append(user)
        self._index[user.key] = user

    def find(self, context: str, mailbox: str) -> Mailbox | None:
        return self._index.get(((context or "default").lower(), mailbox.lower()))


# -- reading -----------------------------------------------------------------------------

_BOOL_OPTIONS = (
    "envelope", "saycid", "attach", "delete", "review", "leaveurgent", "operator", "moveheard",
)  # fmt: skip
_INT_OPTIONS = ("saydurationm", "maxmsg", "maxsecs", "minsecs")
_STR_OPTIONS = {
    "serveremail": "serveremail",
    "fromstring": "fromstring",
    "language": "language",
    "tz": "zonetag",
    "callback": "callback",
    "dialout": "dialout",
    "uniqueid": "uniqueid",
    "exitcontext": "exitcontext",
    "attachfmt": "attachfmt",
}
#: Options Asterisk knows whose work pbxd does not do (mail, IMAP, prompts...): accepted quietly.
_ACCEPTED = frozenset(
    {
        "userscontext", "aliasescontext", "searchcontexts", "maxsilence", "silencethreshold",
        "backupdeleted", "emaildateformat", "pagerdateformat", "externpass", "externpassnotify",
        "externpasscheck", "externnotify", "smdienable", "smdiport", "maxgreet", "skipms",
        "minpassword", "forcename", "forcegreetings", "cidinternalcontexts", "tempgreetwarn",
        "messagewrap", "sendvoicemail", "forward_urgent_auto", "sayduration", "nextaftercmd",
        "emailsubject", "emailbody", "pagersubject", "pagerbody", "pagerfromstring", "charset",
        "adsifdn", "adsisec", "adsiver", "usedirectory", "odbcstorage", "odbctable", "locale",
        "passwordlocation", "hidefromdir", "imapuser", "imappassword", "imapfolder",
        "imapvmshareid", "imapserver", "imapport", "imapflags", "volgain", "tz", "language",
        "listen-control-forward-key", "listen-control-reverse-key", "listen-control-pause-key",
        "listen-control-restart-key", "listen-control-stop-key", "vm-login", "vm-newuser",
        "vm-password", "vm-newpassword", "vm-invalid-password", "vm-passchanged",
        "vm-reenterpassword", "vm-mismatch", "vm-pls-try-again", "vm-prepend-timeout",
        "tps_queue_low", "tps_queue_high", "format", "mailcmd", "pollmailboxes", "pollfreq",
        "maxlogins", "maxmessage", "minmessage", "review", "operator", "saycid", "envelope",
        "moveheard", "attach", "attachfmt", "delete", "serveremail", "fromstring", "maxmsg",
        "maxsecs", "minsecs", "saydurationm", "exitcontext", "callback", "dialout",
        "leaveurgent", "directoryintro",
    }
)  # fmt: skip


def load_settings(config: ConfigFile | None, problems: list[Problem]) -> VoicemailSettings:
    """The settings of a parsed voicemail.conf (None: no file, no users)."""
    settings = VoicemailSettings()
    if config is None:
        return settings
    general = config.get_category("general")
    _read_general(Settings(general, problems), settings, problems)
    zones = config.get_category("zonemessages")
    if zones is not None:
        settings.zones = _read_zones(zones, problems)
    defaults = {f.name: getattr(settings.defaults, f.name) for f in fields(Mailbox)}
    for category in config.iter_categories():
        if category.name.lower() in RESERVED:
            continue
        for entry in category.entries:
            user = _read_mailbox(category.name, entry, defaults, settings, problems)
            if user is not None:
                settings.add(user)
    return settings


def _warn(problems: list[Problem], where: object, text: str) -> None:
    problems.append(Problem(getattr(where, "file", ""), getattr(where, "line", 0), "warning", text))


def _read_general(general: Settings, settings: VoicemailSettings, problems: list[Problem]) -> None:
    fmt = general.get_str("format", "wav")
    formats = [f.strip().lower() for f in fmt.replace(",", "|").split("|") if f.strip()]
    if formats and "wav" not in formats:
        _warn(problems, general.entry("format"), f"format '{fmt}': pbxd records wav only")
    settings.serveremail = general.get_str("serveremail", SERVER_EMAIL)
    settings.fromstring = general.get_str("fromstring", "")
    settings.mailcmd = general.get_str("mailcmd", SENDMAIL)
    settings.pollmailboxes = general.get_bool("pollmailboxes", False)
    settings.pollfreq = general.get_int("pollfreq", 30, minimum=1)
    settings.maxlogins = general.get_int("maxlogins", 3, minimum=0)
    settings.maxgreet = general.get_int("maxgreet", 0, minimum=0)
    for key in ("emailsubject", "emailbody", "pagersubject", "pagerbody"):
        setattr(settings, key, _unescape(general.get_str(key, "")))
    settings.emaildateformat = general.get_str("emaildateformat", settings.emaildateformat)
    maxmsg = general.get_int("maxmsg", MAXMSG)
    if maxmsg < 0:
        _warn(problems, general.entry("maxmsg"),
              f"Invalid number of messages per folder '{maxmsg}'. Using default value {MAXMSG}")
        maxmsg = MAXMSG
    elif maxmsg > MAXMSGLIMIT:
        _warn(problems, general.entry("maxmsg"),
              f"Maximum number of messages per folder is {MAXMSGLIMIT}. "
              f"Cannot accept value '{maxmsg}'")  # fmt: skip
        maxmsg = MAXMSGLIMIT
    maxsecs_key = "maxsecs" if general.entry("maxsecs") is not None else "maxmessage"
    minsecs_key = "minsecs" if general.entry("minsecs") is not None else "minmessage"
    settings.defaults = Mailbox(
        "",
        "",
        attach=general.get_bool("attach", True),
        attachfmt=general.get_str("attachfmt", ""),
        delete=general.get_bool("delete", False),
        saycid=general.get_bool("saycid", False),
        review=general.get_bool("review", False),
        operator=general.get_bool("operator", False),
        envelope=general.get_bool("envelope", True),
        moveheard=general.get_bool("moveheard", True),
        leaveurgent=general.get_bool("leaveurgent", True),
        saydurationm=general.get_int("saydurationm", 2),
        volgain=general.get_float("volgain", 0.0),
        exitcontext=general.get_str("exitcontext", ""),
        callback=general.get_str("callback", ""),
        dialout=general.get_str("dialout", ""),
        maxmsg=maxmsg,
        maxsecs=general.get_int(maxsecs_key, 0, minimum=0),
        minsecs=general.get_int(minsecs_key, 0, minimum=0),
    )
    general.warn_unknown(_ACCEPTED)


def _unescape(text: str) -> str:
    """``\\n``, ``\\t``, ``\\r`` and ``\\\\`` in the email templates."""
    table = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    out, chars = [], iter(text)
    for char in chars:
        out.append(table.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def _read_zones(category: Category, problems: list[Problem]) -> list[Zone]:
    zones: list[Zone] = []
    for entry in category.entries:
        timezone, sep, message_format = _split_first(entry.value, "|,")
        if not sep:
            _warn(problems, entry, f"Invalid timezone definition at line {entry.line}")
            continue
        zones.insert(0, Zone(entry.key, timezone, message_format))  # Asterisk lists newest first
    return zones


def _split_first(text: str, separators: str) -> tuple[str, str, str]:
    cut = min((i for i in (text.find(s) for s in separators) if i >= 0), default=-1)
    if cut < 0:
        return text, "", ""
    return text[:cut], text[cut], text[cut + 1 :]


def _read_mailbox(
    context: str,
    where: Entry,
    defaults: dict[str, object],
    settings: VoicemailSettings,
    problems: list[Problem],
) -> Mailbox | None:
    """``box => password,fullname,email,pager,options`` (the general settings as defaults)."""
    box = where.key
    if not box or box.startswith("*"):
        _warn(problems, where, f"Mailbox {box} in context {context} begins with '*' character. "
              "The '*' character, when it is the first character in a mailbox or password, is "
              "used to jump to a predefined extension 'a'.  A mailbox or password beginning "
              "with '*' is not valid and will be ignored.")  # fmt: skip
        return None
    if settings.find(context, box) is not None:
        _warn(problems, where, f"Ignoring duplicated mailbox {box} in context {context}")
        return None
    parts = where.value.split(",", 4)
    parts += [""] * (5 - len(parts))
    password, fullname, email, pager, options = (part.strip() for part in parts)
    if password.startswith("*"):
        _warn(problems, where, f"Invalid password detected for mailbox {box}.  The password "
              "must be reset in voicemail.conf.")  # fmt: skip
    own = {"context": context, "mailbox": box, "password": password, "fullname": fullname,
           "email": email, "pager": pager}  # fmt: skip
    own.update(_options(box, options, problems, where))
    return Mailbox(**{**defaults, **own})  # type: ignore[arg-type]


def _options(box: str, options: str, problems: list[Problem], where: Entry) -> dict[str, object]:
    """The ``|``-separated ``name=value`` options after the pager field, as field values."""
    changes: dict[str, object] = {}
    for item in options.split("|"):
        name, sep, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not name:
            continue
        if not sep:
            _warn(problems, where, f"Mailbox {box}: option '{name}' has no value")
        elif name in _BOOL_OPTIONS:
            changes[name] = is_true(value)
        elif name in _INT_OPTIONS:
            if value.lstrip("-").isdigit() and int(value) >= 0:
                changes[name] = min(int(value), MAXMSGLIMIT) if name == "maxmsg" else int(value)
            else:
                _warn(problems, where, f"Invalid {name} value '{value}' for mailbox {box}")
        elif name == "volgain":
            try:
                changes[name] = float(value)
            except ValueError:
                _warn(problems, where, f"Invalid volgain '{value}' for mailbox {box}")
        elif name in _STR_OPTIONS:
            changes[_STR_OPTIONS[name]] = value
        elif name not in _ACCEPTED:
            _warn(problems, where, f"Unknown option '{name}' for mailbox {box}")
    return changes

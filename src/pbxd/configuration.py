"""Loading a configuration directory: every file parsed, typed settings, problems collected."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .config.conf import ConfigFile, Problem, load, load_optional
from .config.directories import Directories
from .iax import IaxConfig, load_iax_config
from .manager.acl import load_named_acls
from .manager.settings import ManagerSettings, manager_settings
from .pbx.dialplan import Dialplan
from .pbx.queues.config import read_queues_conf
from .pbx.voicemail.settings import load_settings as load_voicemail_settings
from .sip.config import SipConfig, load_sip_config
from .transport.http_settings import HttpSettings, http_settings

SECRET_PLACEHOLDER = "@ADMIN_SECRET@"


@dataclass
class Configuration:
    directory: Path
    directories: Directories
    manager: ManagerSettings
    dialplan: Dialplan | None = None
    allow_system: bool = False  # pbxd serve --allow-system: System() may run commands
    http_port: int | None = None  # pbxd serve --http-port: overrides http.conf's bindport
    http: HttpSettings = field(default_factory=HttpSettings)
    files: dict[str, ConfigFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sip: SipConfig | None = None  # sip.conf's peers and settings, when there is one
    iax: IaxConfig | None = None  # iax.conf's peers, when there is one

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_configuration(
    directory: str | os.PathLike[str], data_dir: Path | None = None
) -> Configuration:
    """Read ``directory`` as Asterisk reads /etc/asterisk; nothing here raises on bad content."""
    root = Path(directory)
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(str(root), 0, "error", "configuration directory not found"))
    files: dict[str, ConfigFile] = {}
    for path in sorted(root.glob("*.conf")) if root.is_dir() else []:
        config = load_optional(root, path.name, problems)
        if config is not None:
            files[path.name] = config
    asterisk = files.get("asterisk.conf")
    if asterisk is not None and asterisk.get_category("directories") is not None:
        directories = Directories.from_config(asterisk, problems, etc_dir=root)
    else:
        directories = Directories.under(data_dir or root / "data", etc_dir=root)
    acl_conf = files.get("acl.conf")
    acls = load_named_acls(acl_conf, problems) if acl_conf is not None else {}
    manager_conf = files.get("manager.conf")
    if manager_conf is None:
        if root.is_dir():
            problems.append(
                Problem(
                    str(root / "manager.conf"),
                    0,
                    "warning",
                    "no manager.conf: the manager interface is disabled",
                )
            )
        settings = ManagerSettings()
    else:
        settings = manager_settings(manager_conf, acls, problems)
    dialplan = None
    extensions = files.get("extensions.conf")
    if extensions is not None:
        dialplan = Dialplan.load(extensions)
        problems.extend(dialplan.problems)
    voicemail_conf = files.get("voicemail.conf")
    if voicemail_conf is not None:
        load_voicemail_settings(voicemail_conf, problems)  # its problems, for check-config
    queues_conf = files.get("queues.conf")
    if queues_conf is not None:
        problems.extend(read_queues_conf(queues_conf).problems)
    sip_conf, iax_conf = files.get("sip.conf"), files.get("iax.conf")
    return Configuration(
        root, directories, settings, dialplan, files=files, problems=problems,
        http=http_settings(files.get("http.conf"), problems),
        sip=load_sip_config(sip_conf, problems) if sip_conf is not None else None,
        iax=load_iax_config(iax_conf, problems) if iax_conf is not None else None,
    )  # fmt: skip


def reload_dialplan(configuration: Configuration) -> Dialplan | None:
    """extensions.conf read again; None (the old dialplan stays) if it has errors."""
    problems: list[Problem] = []
    config = load_optional(configuration.directory, "extensions.conf", problems)
    if config is None:
        return None
    dialplan = Dialplan.load(config)
    if any(p.severity == "error" for p in problems + list(dialplan.problems)):
        return None
    return dialplan


def reload_manager(configuration: Configuration) -> ManagerSettings | None:
    """manager.conf (and acl.conf) read again; None if the new file has errors."""
    problems: list[Problem] = []
    root = configuration.directory
    acl_conf = load_optional(root, "acl.conf", problems)
    acls = load_named_acls(acl_conf, problems) if acl_conf is not None else {}
    manager_conf = load_optional(root, "manager.conf", problems)
    if manager_conf is None or any(p.severity == "error" for p in problems):
        return None
    return manager_settings(manager_conf, acls, problems)


def prepare_default(data_dir: Path) -> tuple[Path, str]:
    """The embedded default configuration, copied into ``data_dir/etc`` on first start with a
    generated secret for ``admin``. Returns the config directory and that secret."""
    etc = data_dir / "etc"
    manager_conf = etc / "manager.conf"
    if not manager_conf.exists():
        etc.mkdir(parents=True, exist_ok=True)
        defaults = resources.files("pbxd") / "defaults"
        for item in defaults.iterdir():
            if item.name.endswith(".conf") and not (etc / item.name).exists():
                with resources.as_file(item) as source:
                    shutil.copyfile(source, etc / item.name)
        secret = secrets.token_urlsafe(12)
        text = manager_conf.read_text().replace(SECRET_PLACEHOLDER, secret)
        manager_conf.write_text(text)
        manager_conf.chmod(0o600)
    config = load(manager_conf)
    admin = config.get_category("admin")
    secret = (admin.get("secret") if admin is not None else None) or ""
    return etc, secret

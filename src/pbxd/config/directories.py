"""The directory layout: ``asterisk.conf`` ``[directories]`` or a self-contained data dir.

Asterisk reads ``[directories]`` only when it is a real category: the stock sample file ships it
as a template (``[directories](!)``) so the compiled-in defaults apply until the ``(!)`` is
removed.  Values are used verbatim, as Asterisk does.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from pbxd.config.conf import ConfigFile, Problem, load

DIRECTORY_KEYS = (
    "astetcdir",
    "astmoddir",
    "astvarlibdir",
    "astdbdir",
    "astkeydir",
    "astdatadir",
    "astagidir",
    "astspooldir",
    "astrundir",
    "astlogdir",
    "astsbindir",
)

DEFAULT_ETC_DIR = Path("/etc/asterisk")


@dataclass(frozen=True)
class Directories:
    """Asterisk's directories, named after their ``asterisk.conf`` keys."""

    astetcdir: Path = DEFAULT_ETC_DIR
    astmoddir: Path = Path("/usr/lib/asterisk/modules")
    astvarlibdir: Path = Path("/var/lib/asterisk")
    astdbdir: Path = Path("/var/lib/asterisk")
    astkeydir: Path = Path("/var/lib/asterisk")
    astdatadir: Path = Path("/var/lib/asterisk")
    astagidir: Path = Path("/var/lib/asterisk/agi-bin")
    astspooldir: Path = Path("/var/spool/asterisk")
    astrundir: Path = Path("/var/run/asterisk")
    astlogdir: Path = Path("/var/log/asterisk")
    astsbindir: Path = Path("/usr/sbin")

    @property
    def db_path(self) -> Path:
        """The AstDB file (``astdbdir/astdb``)."""
        return self.astdbdir / "astdb"

    @property
    def key_dir(self) -> Path:
        """Where keys are kept (``astkeydir/keys``)."""
        return self.astkeydir / "keys"

    @property
    def monitor_dir(self) -> Path:
        """Call recordings made by Monitor (``astspooldir/monitor``)."""
        return self.astspooldir / "monitor"

    @property
    def recording_dir(self) -> Path:
        """Recordings (``astspooldir/recording``)."""
        return self.astspooldir / "recording"

    def as_dict(self) -> dict[str, Path]:
        """Key name to path, in ``asterisk.conf`` order."""
        return asdict(self)

    @classmethod
    def defaults(cls, etc_dir: str | os.PathLike[str] = DEFAULT_ETC_DIR) -> Directories:
        """Asterisk's compiled-in defaults, with ``astetcdir`` set to the config directory."""
        return cls(astetcdir=Path(etc_dir))

    @classmethod
    def under(
        cls, data_dir: str | os.PathLike[str], etc_dir: str | os.PathLike[str] | None = None
    ) -> Directories:
        """A self-contained layout rooted at ``data_dir`` (pbxd's default without asterisk.conf).

        ``spool/``, ``db/``, ``log/``, ``run/`` and ``lib/`` (data, keys, ``lib/modules``,
        ``lib/agi-bin``) live under ``data_dir``; ``astetcdir`` is ``etc_dir`` or ``data_dir/etc``.
        """
        root = Path(data_dir)
        lib = root / "lib"
        return cls(
            astetcdir=Path(etc_dir) if etc_dir is not None else root / "etc",
            astmoddir=lib / "modules",
            astvarlibdir=lib,
            astdbdir=root / "db",
            astkeydir=lib,
            astdatadir=lib,
            astagidir=lib / "agi-bin",
            astspooldir=root / "spool",
            astrundir=root / "run",
            astlogdir=root / "log",
            astsbindir=root / "sbin",
        )

    @classmethod
    def from_config(
        cls,
        config: ConfigFile,
        problems: list[Problem],
        etc_dir: str | os.PathLike[str] = DEFAULT_ETC_DIR,
    ) -> Directories:
        """Read ``[directories]`` of a parsed ``asterisk.conf``; absent keys keep defaults.

        As in Asterisk, ``astvarlibdir`` also moves the database unless ``astdbdir`` is given,
        and ``astdatadir`` also moves the keys unless ``astkeydir`` is given.
        """
        values: dict[str, Path] = {}
        category = config.get_category("directories")
        if category is not None:
            for entry in category.entries:
                key = entry.key.lower()
                if key not in DIRECTORY_KEYS:
                    continue
                if not entry.value:
                    problems.append(
                        Problem(entry.file, entry.line, "warning", f"empty value for '{key}'")
                    )
                    continue
                values[key] = Path(entry.value)
        if "astvarlibdir" in values:
            values.setdefault("astdbdir", values["astvarlibdir"])
        if "astdatadir" in values:
            values.setdefault("astkeydir", values["astdatadir"])
        values.setdefault("astetcdir", Path(etc_dir))
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


def load_directories(asterisk_conf: str | os.PathLike[str], problems: list[Problem]) -> Directories:
    """Read ``asterisk.conf``; a missing file quietly gives the defaults.

    ``astetcdir`` defaults to the directory holding ``asterisk.conf``.  Parse problems are
    appended to ``problems``.
    """
    path = Path(asterisk_conf)
    if not path.exists():
        return Directories.defaults(path.parent)
    config = load(path)
    problems.extend(config.problems)
    return Directories.from_config(config, problems, path.parent)

"""Spool state for tests: messages written as app_voicemail writes them."""

from __future__ import annotations

import shutil
import stat
import wave
from pathlib import Path

from pbxd.pbx.voicemail.spool import origdate, render_info


def write_message(
    spool: Path, context: str, mailbox: str, folder: str, number: int, origtime: int = 1795680000
) -> Path:
    """``msgNNNN.txt`` and a one-second silent ``msgNNNN.wav`` in ``spool/voicemail/...``."""
    directory = spool / "voicemail" / context / mailbox / folder
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"msg{number:04d}"
    info = {
        "origmailbox": mailbox, "context": "default", "macrocontext": "", "exten": mailbox,
        "rdnis": "unknown", "priority": "2", "callerchan": "Local/100@default-00000001;2",
        "callerid": '"Alice" <100>', "origdate": origdate(origtime), "origtime": str(origtime),
        "category": "", "msg_id": f"{origtime}-{number:08x}", "flag": "", "duration": "1",
    }  # fmt: skip
    base.with_suffix(".txt").write_text(render_info(info))
    with wave.open(str(base.with_suffix(".wav")), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(16000))
    return base


def reference_conf_with_mailbox(conf_dir: Path, root: Path) -> Path:
    """A copy of the reference configuration whose spool holds what the recorded Asterisk's
    mailbox 1234@default held: one new message and two old ones."""
    conf = root / "conf"
    shutil.copytree(conf_dir, conf)
    for path in [conf, *conf.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    data = root / "data"
    (conf / "asterisk.conf").write_text(
        "[directories]\n"
        + "".join(
            f"{key} => {data / sub}\n"
            for key, sub in (
                ("astspooldir", "spool"), ("astdbdir", "db"), ("astlogdir", "log"),
                ("astrundir", "run"), ("astvarlibdir", "lib"), ("astdatadir", "lib"),
            )
        )  # fmt: skip
    )
    write_message(data / "spool", "default", "1234", "INBOX", 0)
    write_message(data / "spool", "default", "1234", "Old", 0)
    write_message(data / "spool", "default", "1234", "Old", 1)
    return conf

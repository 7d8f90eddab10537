"""AMI output as the HTTP manager serves it: raw, HTML (``/manager``) and XML (``/mxml``).

The manager's answer to one request is AMI text (``Name: value`` lines, blank line between
messages). ``/mxml`` turns each message into ``<response type='object' id='unknown'>`` with
one ``<generic .../>`` whose attributes are the lower-cased, underscored header names;
``/manager`` turns each header into a table row and each message end into a rule. A line
without a colon is opaque data, kept as a field named ``Opaque-data`` together with the
lines after it up to the next blank line. Repeated names get ``-2``, ``-3``... suffixes.
"""

from __future__ import annotations

from collections.abc import Iterable

RAW_TYPE = "text/plain"
HTML_TYPE = "text/html"
XML_TYPE = "text/xml"

XML_HEAD = "<ajax-response>\n"
XML_TAIL = "</ajax-response>\n"

_FORM = (
    '<form action="manager" method="post">\n'
    '\tAction: <select name="action">\n'
    '\t\t<option value="">-----&gt;</option>\n'
    '\t\t<option value="login">login</option>\n'
    '\t\t<option value="command">Command</option>\n'
    '\t\t<option value="waitevent">waitevent</option>\n'
    '\t\t<option value="listcommands">listcommands</option>\n'
    "\t</select>\n"
    '\tor <input name="action"><br/>\n'
    '\tCLI Command <input name="command"><br>\n'
    '\tuser <input name="username"> pass <input type="password" name="secret"><br>\n'
    '\t<input type="submit">\n'
    "</form>\n"
)
_ROW = '<tr><td colspan="2" bgcolor="#f1f1ff">{}</td></tr>\r\n'
HTML_HEAD = (
    "<title>Asterisk&trade; Manager Interface</title>"
    '<body bgcolor="#ffffff"><table align=center bgcolor="#f1f1f1" width="500">\r\n'
    + _ROW.format("<h1>Manager Tester</h1>")
    + _ROW.format(_FORM)
)
HTML_TAIL = "</table></body>\r\n"
#: The digest-authenticated page (/amanager) has a form of its own.
AUTH_HTML_HEAD = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n'
    "<html><head>\r\n"
    "<title>Asterisk&trade; Manager Interface</title>\r\n"
    '</head><body style="background-color: #ffffff;">\r\n'
    '<form method="POST">\r\n'
    '<table align="center" style="background-color: #f1f1f1;" width="500">\r\n'
    '<tr><th colspan="2" style="background-color: #f1f1ff;"><h1>Manager Tester</h1></th></tr>\r\n'
    '<tr><th colspan="2" style="background-color: #f1f1ff;">Action: <input name="action" /> '
    'Cmd: <input name="command" /><br><input type="submit" value="Send request" /></th></tr>\r\n'
)
AUTH_HTML_TAIL = "</table></form></body></html>\r\n"

_ESCAPES = {"<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "&": "&amp;"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def escape(text: str) -> str:
    """``< > " ' &`` as entities; every other character as it is."""
    return text.translate(_ESCAPE_TABLE)


def attribute_name(name: str) -> str:
    """A header name as an XML attribute: ASCII letters and digits lower-cased, the rest ``_``."""
    return "".join(c.translate(_ASCII_LOWER) if c.isascii() and c.isalnum() else "_" for c in name)


def _lines(text: str) -> Iterable[str]:
    """Lines split at ``\\r\\n``, ``\\r`` or ``\\n``, trailing blanks removed."""
    pos, size = 0, len(text)
    while pos < size:
        cut = pos
        while cut < size and text[cut] not in "\r\n":
            cut += 1
        line = text[pos:cut]
        if cut < size and text[cut] == "\r" and cut + 1 < size and text[cut + 1] == "\n":
            cut += 1
        pos = cut + 1
        yield line.rstrip(" \t\r\n\v\f")


def translate(text: str, xml: bool, dest: str = "unknown", objtype: str = "generic") -> str:
    """AMI text as XML objects or HTML rows (the body between the page's head and tail)."""
    out: list[str] = []
    in_object = False
    opaque = False
    counts: dict[str, int] = {}
    for line in _lines(text):
        if not line:
            if opaque:
                out.append("'" if xml else "</td></tr>\n")
                opaque = False
            if in_object:
                out.append(" /></response>\n" if xml else '<tr><td colspan="2"><hr></td></tr>\r\n')
                in_object = False
            continue
        if not in_object:
            if xml:
                out.append(f"<response type='object' id='{escape(dest)}'><{escape(objtype)}")
            counts = {}
            in_object = True
        if opaque:
            out.append("\n" if xml else "<br>\n")
            out.append(escape(line))
            continue
        name, sep, value = line.partition(":")
        if sep:
            name, value = name.rstrip(" \t"), value.lstrip(" \t")
        else:
            name, value, opaque = "Opaque-data", line, True
        count = counts[name] = counts.get(name, 0) + 1
        out.append(" " if xml else "<tr><td>")
        out.append(attribute_name(name) if xml else escape(name))
        if count > 1:
            out.append(f"-{count}")
        out.append("='" if xml else "</td><td>")
        out.append(escape(value))
        if not opaque:
            out.append("'" if xml else "</td></tr>\n")
    if opaque:
        out.append("'" if xml else "</td></tr>\n")
    if in_object:
        out.append(" /></response>\n" if xml else '<tr><td colspan="2"><hr></td></tr>\r\n')
    return "".join(out)

r"""Read AWX job stdout (``format=txt`` or ``ansi``) into typed failures, streaming.

The log is read in blocks; kb.analysis.scan finds the few lines that can change the result and only
those are parsed in Python (same result as ``parse_lines``, which feeds every line). Memory
stays bounded by the block and the longest result kept (``MAX_RESULT_CHARS``), not by the log.
ANSI colour codes and CR are dropped; a cut-off log still yields what it holds; input that
is not a log yields nothing. Nothing here raises on bad input.

>>> log = '''
... PLAY [Patch] *******************************************************************
...
... TASK [Apply all available updates] *********************************************
... fatal: [web-02]: FAILED! => {"changed": false, "msg": "Depsolve Error occurred: \\n Problem: x", "rc": 1}
... changed: [web-01]
... '''
>>> [(f.host, f.task, f.rc, f.match_text) for f in parse_stdout(log).failures]
[('web-02', 'Apply all available updates', 1, 'Depsolve Error occurred: \n Problem: x')]

Loop items, delegation, ``...ignoring`` and retries:

>>> log = '''TASK [Post-check] ***
... FAILED - RETRYING: [db-01]: Post-check (3 retries left).
... failed: [db-01 -> localhost] (item=pg) => {"item": "pg", "msg": "Unable to start service pg"}
... fatal: [db-02]: FAILED! => {"msg": "not fatal"}
... ...ignoring
... '''
>>> a = parse_stdout(log)
>>> [(f.host, f.item, f.delegated_to, f.message) for f in a.failures]
[('db-01', 'pg', 'localhost', 'Unable to start service pg')]
>>> [(f.host, f.ignored.value) for f in a.ignored]
[('db-02', 'ignored')]

Garbage never raises:

>>> parse_stdout(b"\xff\xfe\x00\nfatal: [x]: FAILED! => {not json").failures[0].message
'{not json'
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from kb.analysis.scan import Skipper, binary_blocks, binary_regions, text_regions
from kb.analysis.tracker import Tracker
from kb.models import Analysis

# A result JSON above this is cut (AWX itself drops event results over 700,000 chars).
MAX_RESULT_CHARS = 2 * 1024 * 1024
MAX_LINE_BYTES = MAX_RESULT_CHARS
# A multi-line (indented) result longer than this many lines is treated as cut off.
MAX_RESULT_LINES = 20_000

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_BANNER = re.compile(r"^(PLAY|TASK|RUNNING HANDLER|PLAY RECAP|NO MORE HOSTS LEFT)\b(?: \[(.*)\])?(?: \*+)?\s*$")
_FATAL = re.compile(r"^fatal: \[([^\]]+)\]: (FAILED|UNREACHABLE)! => ?(.*)$", re.DOTALL)
_ITEM_FAILED = re.compile(r"^failed: \[([^\]]+)\] \(item=(.*?)\) => ?(.*)$", re.DOTALL)
_RESULT = re.compile(r"^(?:ok|changed|skipping|failed|fatal|rescued|ignored): \[([^\]]+)\]")
_RECAP = re.compile(
    r"^(\S+)\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
    r"(?:\s+skipped=(\d+))?(?:\s+rescued=(\d+))?(?:\s+ignored=(\d+))?"
)
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')
_LENIENT = re.compile(
    r'"(msg|stderr|stdout|module_stdout|module_stderr|reason|rc|unreachable)"\s*:\s*'
    r'("(?:[^"\\]++|\\.)*+"?|-?\d+|true|false)'
)
_PLAIN_RESULTS = ("ok: [", "changed: [", "skipping: [")
_RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")


def strip_ansi(line: str) -> str:
    r"""Drop terminal colour/control sequences.

    >>> strip_ansi("\x1b[0;31mfatal: [h]\x1b[0m")
    'fatal: [h]'
    """
    return _ANSI.sub("", line) if "\x1b" in line else line


def iter_lines(source: str | bytes | IO[bytes] | IO[str] | Iterable[str]) -> Iterator[str]:
    """Lines of ``source`` without line ends; each cut to ``MAX_LINE_BYTES`` (the rest is skipped).

    Bytes are decoded as UTF-8 with replacement, so invalid input still reads.

    >>> list(iter_lines("a\\r\\nb\\n"))
    ['a', 'b']
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    elif isinstance(source, str):
        source = io.StringIO(source)
    if isinstance(source, io.TextIOBase | io.StringIO) or not hasattr(source, "readline"):
        yield from _iter_text(source)
        return
    yield from _iter_binary(source)  # type: ignore[arg-type]


_BLOCK = 1 << 20


def _iter_binary(f: IO[bytes]) -> Iterator[str]:
    """Read 1 MiB blocks and split them in C; a line over MAX_LINE_BYTES keeps its head only.

    The same block splitting as the fast path (kb.analysis.scan.binary_regions), decoded line by line.
    """
    for region in binary_regions(f, _BLOCK, MAX_LINE_BYTES):
        yield from region.decode("utf-8", errors="replace").split("\n")


def _iter_text(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if len(line) > MAX_LINE_BYTES:
            line = line[:MAX_LINE_BYTES]
        yield line.rstrip("\r\n")


def parse_result(raw: str) -> dict[str, Any]:
    """A result's JSON; if it does not parse (cut off, not JSON), the string fields that can be read.

    >>> parse_result('{"msg": "ok", "rc": 2}')
    {'msg': 'ok', 'rc': 2}
    >>> parse_result('{"changed": false, "msg": "Failed to connect: timeout", "stderr": "E: cut of')
    {'msg': 'Failed to connect: timeout', 'stderr': 'E: cut of'}
    """
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            pass
        else:
            if isinstance(value, dict):
                return value
    out: dict[str, Any] = {}
    for m in _LENIENT.finditer(raw):
        name, token = m.group(1), m.group(2)
        if name in out:
            continue
        if token.startswith('"') and (len(token) == 1 or not token.endswith('"') or token.endswith('\\"')):
            token = token.rstrip("\\") + '"'
        try:
            out[name] = json.loads(token)
        except ValueError:
            out[name] = token.strip('"')
    if not out and raw:
        out["msg"] = raw[:4000]
    return out


def _depth(text: str) -> int:
    bare = _STRING.sub("", text)
    return bare.count("{") + bare.count("[") - bare.count("}") - bare.count("]")


class StdoutParser:
    """Feed lines one by one (``feed``), then ``finish()``. Holds at most one result being read."""

    def __init__(self) -> None:
        self.t = Tracker()
        self.lines = 0
        self._in_recap = False
        self._pending: dict[str, Any] | None = None

    @property
    def busy(self) -> bool:
        """True when plain result lines still matter (a result being read, or a failure that may be rescued)."""
        return self._pending is not None or self.t.has_open

    def feed(self, line: str) -> None:
        self.lines += 1
        if line.startswith(_PLAIN_RESULTS) and self._pending is None:
            # Fast path for the bulk of a big log: a plain ok/changed/skipping line matters only
            # when its host has a failure that a later result would show as rescued.
            if self.t.has_open:
                host = line[line.index("[") + 1 : line.find("]")]
                self.t.activity(host.partition(" -> ")[0].strip())
            return
        self.t.line = self.lines
        line = strip_ansi(line).rstrip("\r")
        if self._pending is not None:
            if not _starts_record(line):
                self._continue(line)
                return
            self._flush()
        if not line:
            return
        if self._in_recap and (m := _RECAP.match(line)):
            # Before the dispatch on the first character: a host may be called "fw-01" or "PLAYER-1".
            self.t.recap_line(m.group(1), {k: int(v or 0) for k, v in zip(_RECAP_KEYS, m.groups()[1:], strict=True)})
            return
        first = line[0]
        if first in "PTRN" and (m := _BANNER.match(line)):
            self._banner(m.group(1), m.group(2))
        elif first == "f":
            self._fail_line(line)
        elif first == "." and line.strip() == "...ignoring":
            self.t.ignoring()
        elif first in "ocsri" and (m := _RESULT.match(line)):
            self.t.activity(m.group(1).partition(" -> ")[0].strip())

    def _banner(self, kind: str, name: str | None) -> None:
        self._in_recap = kind == "PLAY RECAP"
        if kind == "PLAY":
            self.t.play_start(name)
        elif kind in ("TASK", "RUNNING HANDLER") and name is not None:
            role, sep, _ = name.partition(" : ")
            self.t.task_start(name, role=role if sep else None)

    def _fail_line(self, line: str) -> None:
        if m := _FATAL.match(line):
            host, kind, raw = m.group(1), m.group(2), m.group(3)
            item = None
        elif m := _ITEM_FAILED.match(line):
            host, item, raw = m.group(1), m.group(2), m.group(3)
            kind = "FAILED"
        else:
            if _RESULT.match(line):
                self.t.activity(line.split("[", 1)[1].split("]", 1)[0].partition(" -> ")[0].strip())
            return
        pending = {"host": host, "unreachable": kind == "UNREACHABLE", "item": item, "buf": [raw], "size": len(raw)}
        if raw.startswith("{"):
            try:
                value = json.loads(raw)
            except (ValueError, RecursionError):
                if _depth(raw) > 0:  # an indented result continues on the next lines
                    pending["depth"] = _depth(raw)
                    pending["n"] = 1
                    self._pending = pending
                    return
            else:
                if isinstance(value, dict):
                    self._record(pending, value)
                    return
        self._record(pending, parse_result(raw))

    def _continue(self, line: str) -> None:
        p = self._pending
        assert p is not None
        if p["size"] < MAX_RESULT_CHARS:
            piece = line[: MAX_RESULT_CHARS - p["size"]]
            p["buf"].append(piece)
            p["size"] += len(piece) + 1
        p["depth"] += _depth(line)
        p["n"] += 1
        if p["depth"] <= 0 or p["n"] >= MAX_RESULT_LINES:
            self._flush()

    def _flush(self) -> None:
        p, self._pending = self._pending, None
        if p is not None:
            self._record(p, parse_result("\n".join(p["buf"])))

    def _record(self, p: dict[str, Any], result: dict[str, Any]) -> None:
        self.t.failed(p["host"], result, unreachable=p["unreachable"], item=p["item"])

    def flush(self) -> None:
        """End of input: a result still being read is kept, and the log marked truncated."""
        if self._pending is not None:
            self.t.truncated = True
            self._flush()

    def finish(self) -> Analysis:
        self.flush()
        return self.t.result(lines=self.lines)


def _starts_record(line: str) -> bool:
    """A line that cannot belong to an indented result: a banner or a new host result."""
    if not line or line[0] in " \t}]":
        return False
    return bool(_BANNER.match(line) or _RESULT.match(line) or line.startswith(("...ignoring", "FAILED - RETRYING")))


def _step(parser: StdoutParser, line: str) -> None:
    """One line of a whole log."""
    if line.startswith(_PLAIN_RESULTS) and parser._pending is None:
        # The bulk of a big log: it matters only for a host with a failure that may be rescued.
        parser.lines += 1
        open_hosts = parser.t.open_hosts
        if open_hosts:
            host = line[line.find("[") + 1 : line.find("]")].partition(" -> ")[0]
            if host in open_hosts:
                parser.t.activity(host)
        return
    parser.feed(line)


def parse_stdout(source: str | bytes | IO[bytes] | IO[str] | Iterable[str]) -> Analysis:
    """Parse a whole log (text, bytes, a binary/text file or an iterable of lines); never raises.

    Text, bytes and binary files are scanned in blocks (kb.analysis.scan): only the lines that can change
    the result reach Python, with the same result as feeding every line. A first pass skips the
    plain results of hosts that failed earlier; when the recap leaves a verdict depending on them
    (``Tracker.followed_matters``: no recap, a rescue) the log is read again with them, from the
    start (a non-seekable stream is read once, with them).
    """
    if isinstance(source, str | bytes):
        first = _scan(source, track=False)
        if not first.t.followed_matters():
            return first.t.result(lines=first.lines)
        return _finish(_scan(source, track=True))
    if isinstance(source, io.TextIOBase | io.StringIO) or not hasattr(source, "readline"):
        parser = StdoutParser()
        try:
            for line in iter_lines(source):
                _step(parser, line)
        except (OSError, UnicodeError, ValueError):
            parser.t.truncated = True
        return parser.finish()
    stream: IO[bytes] = source  # type: ignore[assignment]
    start = _tell(stream)
    if start is not None:
        first = _scan(stream, track=False)
        if not first.t.followed_matters():
            return first.t.result(lines=first.lines)
        try:
            stream.seek(start)
        except (OSError, ValueError):
            return first.t.result(lines=first.lines)
    return _finish(_scan(stream, track=True))


def read_pasted(text: str) -> str:
    r"""A failure text as the analyser reads it: a pasted task result (``fatal: [host]: FAILED! => {...}``,
    its JSON escaped) becomes the text the log parser builds from that line; any other text is kept.

    >>> read_pasted('fatal: [web-01]: FAILED! => {"changed": false, "msg": "Trying to remove \\"systemd\\""}')
    'Trying to remove "systemd"'
    >>> read_pasted("non-zero return code\nE: boom")
    'non-zero return code\nE: boom'
    """
    if "=> {" not in text:
        return text
    failures = parse_stdout(text).failures
    if len(failures) == 1 and failures[0].match_text:
        return failures[0].match_text
    return text


def _tell(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell() if stream.seekable() else None
    except (OSError, ValueError, AttributeError):
        return None


def _finish(parser: StdoutParser) -> Analysis:
    return parser.t.result(lines=parser.lines)


def _scan(source: str | bytes | IO[bytes], *, track: bool) -> StdoutParser:
    """One block-scanning pass; the parser is flushed (a result cut off at the end is kept, marked truncated)."""
    parser = StdoutParser()
    try:
        if isinstance(source, str):
            skipper = Skipper(parser, _step, text=True, track=track)
            for chunk in text_regions(source, MAX_LINE_BYTES):
                if isinstance(chunk, bytes):
                    skipper.region(chunk)
                else:
                    skipper.lines(chunk)
        else:
            stream = io.BytesIO(source) if isinstance(source, bytes) else source
            skipper = Skipper(parser, _step, text=False, track=track)
            for region, size in binary_blocks(stream, _BLOCK, MAX_LINE_BYTES):
                skipper.region(region, size)
    except (OSError, UnicodeError, ValueError):
        parser.t.truncated = True
    parser.flush()
    return parser


def parse_lines(source: str | bytes | IO[bytes] | IO[str] | Iterable[str]) -> Analysis:
    """``parse_stdout`` feeding every line to the parser (the reference the block scan is tested against)."""
    parser = StdoutParser()
    try:
        for line in iter_lines(source):
            _step(parser, line)
    except (OSError, UnicodeError, ValueError):
        parser.t.truncated = True
    return parser.finish()

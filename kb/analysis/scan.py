r"""Hand the stdout parser only the lines that can change its result; skip the rest in C.

Most lines of a big log are plain ``ok:``/``changed:``/``skipping:`` results and task output.
The parser acts on a line only when it is a banner, a failed/fatal result, ``...ignoring``, a
``rescued:``/``ignored:`` result, a recap line, part of a multi-line result, or a plain result
of a host whose failure a later result would show as rescued (kb.analysis.tracker). This module finds
those lines in blocks of bytes (one reused buffer) with one RE2 scan (DFA, no per-line Python),
counts the others (numpy's vectorised compare on long spans), and feeds each found line to the
same per-line step as before, so the result is the same as feeding every line
(tests/unit/test_kb_perf_parser.py compares both):

- a line holding ESC (ANSI colour) is always fed: stripping may turn it into anything;
- while a multi-line result is being read, every line is fed; inside the PLAY RECAP, a run of
  plain recap lines is read with one findall, and any other line is fed;
- while some host has an open failure, a plain result of the simple form ``ok: [host]`` is
  checked against the open hosts with one set lookup per line (in C); any other plain result
  (delegated, with a result or an item) is fed.

>>> from kb.analysis.parser import parse_stdout
>>> a = parse_stdout(b"TASK [t] ***\nok: [a]\nfatal: [b]: FAILED! => {}\nchanged: [a]\n")
>>> [(f.host, f.line) for f in a.failures], a.lines
([('b', 3)], 4)
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from typing import IO, TYPE_CHECKING

import numpy as np
import re2

if TYPE_CHECKING:
    from kb.analysis.parser import StdoutParser

# Blocks and text chunks of ~1 MiB: memory stays flat, the per-block overhead negligible.
TEXT_CHUNK = 1 << 20
_PLAIN = (b"ok: ", b"changed: ", b"skipping: ")
_INTERESTING = (
    rb"^(?:PLAY|TASK|RUNNING HANDLER|NO MORE HOSTS LEFT|fatal: \[|failed: \[|\.\.\.ignoring|rescued: \[|ignored: \[)"
    rb"|\x1b"
)
# A plain result that is not exactly "<status>: [host]" (+ CR): delegated, or followed by text.
_PLAIN_OTHER = rb"|^(?:ok|changed|skipping): \[[^\]\n]*(?: -> |$|\][^\r\n]|\]\r[^\n])"
_PLAIN_ANY = rb"|^(?:ok|changed|skipping): \["


def _compile(pattern: bytes) -> re2._Regexp:
    o = re2.Options()
    o.encoding = re2.Options.Encoding.LATIN1  # bytes, not UTF-8: any byte is one character
    o.never_capture = True
    o.max_mem = 8 << 20
    return re2.compile(b"(?m)" + pattern, o)


_RX = _compile(_INTERESTING)
# The first byte of every line _INTERESTING matches, ESC aside. In a region without ESC the scan looks
# for "\n" + one of them: RE2 runs that with memchr on "\n" (100 MB: 25 ms against 190 ms for the
# multi-line pattern), and each candidate line is checked with _RX at its start.
_FIRST = frozenset(b"PTRNf.ri")
_CANDIDATE = re2.compile(rb"\n[PTRNf.ri]", _RX.options)
# Python's re, not RE2: its match groups are read in C (re2's wrapper builds them in Python); a prefix
# match of one short line, no backtracking risk.
# A recap line whose host is printable ASCII and whose fields are separated by spaces or tabs: there
# it gives the same groups as StdoutParser's _RECAP on the decoded line (anything else is fed to it).
_RECAP_LINE = (
    rb"([!-~]+)[ \t]*: ok=(\d+)[ \t]+changed=(\d+)[ \t]+unreachable=(\d+)[ \t]+failed=(\d+)"
    rb"(?:[ \t]+skipped=(\d+))?(?:[ \t]+rescued=(\d+))?(?:[ \t]+ignored=(\d+))?[^\n]*"
)
_RECAP_B = re.compile(_RECAP_LINE)
# A run of LF-ended recap lines, in one match: each repetition is exactly one line (nothing in a line's
# pattern matches LF), so the run ends before the first line that is not one (or the last, unended line).
# RE2 (a DFA, ~1 ms for a 10,000-host recap; Python's re took ~7 ms): it only finds where the run ends.
_RECAP_RUN = _compile(rb"(?:" + re.sub(rb"\((?!\?)", b"(?:", _RECAP_LINE) + rb"\n)*")
_RECAP_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
# Spans shorter than this are counted by bytes.count (numpy's per-call overhead is a few microseconds).
_VECTOR_MIN = 1 << 13
_LF = ord("\n")
_RX_OPEN = _compile(_INTERESTING + _PLAIN_OTHER)
_RX_ALL = _compile(_INTERESTING + _PLAIN_ANY)


def binary_regions(f: IO[bytes], block_size: int, max_line: int) -> Iterator[bytes]:
    """Runs of complete lines (joined by LF, no final LF); kb.analysis.parser._iter_binary decodes the same runs."""
    for buf, size in binary_blocks(f, block_size, max_line):
        yield bytes(memoryview(buf)[:size])


def binary_blocks(f: IO[bytes], block_size: int, max_line: int) -> Iterator[tuple[bytes | bytearray, int]]:
    """``binary_regions`` as ``(buffer, size)``: the run is ``buffer[:size]``, valid until the next step.

    When ``size < len(buffer)``, ``buffer[size]`` is the LF that ended the run, so a pattern that looks
    one byte past ``size`` (RE2's ``$`` with an end position) sees the end of a line, as at the end of text.

    A binary file is read into one reused buffer (``readinto``), its unfinished last line moved to the
    front: no block is allocated or copied (100 MB: ~45 ms less than reading and joining bytes).
    """
    if not isinstance(f, io.BufferedIOBase | io.RawIOBase):
        for region in _copied_regions(f, block_size, max_line):
            yield region, len(region)
        return
    buf = bytearray(block_size)
    have = 0  # the carry, buf[:have]: the start of a line (no LF in it)
    skipping = False  # inside the unread tail of an over-long line
    while True:
        if len(buf) < have + block_size:
            buf.extend(bytes(have + block_size - len(buf)))
        with memoryview(buf) as view:
            n = f.readinto(view[have : have + block_size])
        if not n:
            break
        end = have + n
        cut = buf.rfind(b"\n", have, end)
        if cut == -1:
            have = end
        else:
            if skipping:
                skipping = False
                first = buf.find(b"\n", 0, cut)
                if first != -1:
                    yield bytes(buf[first + 1 : cut]), cut - first - 1
            else:
                yield buf, cut
            buf[: end - cut - 1] = buf[cut + 1 : end]
            have = end - cut - 1
        if have > max_line:
            yield bytes(buf[:max_line]), max_line
            have = 0
            skipping = True
    if have and not skipping:
        yield bytes(buf[:have]), have  # a copy: what follows it in buf is no LF


def _copied_regions(f: IO[bytes], block_size: int, max_line: int) -> Iterator[bytes]:
    """binary_blocks' runs of a stream without ``readinto`` (read, joined and sliced as bytes)."""
    carry = b""
    skipping = False  # inside the unread tail of an over-long line
    while True:
        block = f.read(block_size)
        if not block:
            break
        if isinstance(block, str):  # a text stream that is not a TextIOBase
            block = block.encode("utf-8", "surrogatepass")
        buf = carry + block
        cut = buf.rfind(b"\n")
        if cut == -1:
            carry = buf
        else:
            complete, carry = buf[:cut], buf[cut + 1 :]
            if skipping:
                skipping = False
                first = complete.find(b"\n")
                if first != -1:
                    yield complete[first + 1 :]
            else:
                yield complete
        if len(carry) > max_line:
            yield carry[:max_line]
            carry = b""
            skipping = True
    if carry and not skipping:
        yield carry


def text_regions(text: str, max_line: int) -> Iterator[bytes | list[str]]:
    """Chunks of complete lines of ``text``: UTF-8 bytes, or the lines themselves (as
    kb.analysis.parser._iter_text makes them) when a chunk cannot be encoded or may hold an over-long line."""
    end = len(text) - 1 if text.endswith("\n") else len(text)
    pos = 0
    while text and pos <= end:
        stop = text.find("\n", pos + TEXT_CHUNK) if pos + TEXT_CHUNK < end else -1
        stop = end if stop == -1 or stop > end else stop
        chunk = text[pos:stop]
        pos = stop + 1
        if len(chunk) <= max_line:
            try:
                yield chunk.encode("utf-8")
                continue
            except UnicodeEncodeError:
                pass
        yield [piece[:max_line].rstrip("\r\n") for piece in chunk.split("\n")]


def _next_candidate(region: bytes | bytearray, pos: int, size: int) -> int | None:
    """Start of the first line at or after ``pos`` (a line start) that _RX matches; region[:size] without ESC."""
    if pos < size and region[pos] in _FIRST and _RX.match(region, pos, size):
        return pos
    while True:
        m = _CANDIDATE.search(region, pos, size)
        if m is None:
            return None
        start = int(m.start()) + 1
        if _RX.match(region, start, size):
            return start
        pos = start


def _newlines(region: bytes | bytearray, start: int, end: int) -> int:
    """``region.count(b"\\n", start, end)``; a long span is counted by numpy's vectorised compare (~4x faster)."""
    if end - start < _VECTOR_MIN:
        return region.count(b"\n", start, end)
    return int(np.count_nonzero(np.frombuffer(region, np.uint8, end - start, start) == _LF))


class Skipper:
    """Feeds ``step(parser, line)`` the lines of each region that can matter; counts the others."""

    def __init__(
        self, parser: StdoutParser, step: Callable[[StdoutParser, str], None], *, text: bool, track: bool = True
    ) -> None:
        self.p = parser
        self.step = step
        self.text = text  # lines come from a str: trailing CRs are dropped, as _iter_text does
        # track=False: plain results of hosts with an open failure are not looked at (the first pass of
        # kb.analysis.parser.parse_stdout, taken only when the recap makes them irrelevant: Tracker.followed_matters).
        self.track = track
        self._forms: set[bytes] = set()  # exact plain lines of every host that had an open failure
        self._formed: set[str] = set()
        self._odd_names: set[str] = set()  # host names that cannot be looked up as bytes
        self._odd: set[str] = set()  # ... of them, those that may have an open failure
        self._seen = -1

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.step(self.p, line)

    def region(self, region: bytes | bytearray, size: int | None = None) -> None:
        """Lines of ``region[:size]`` (all of it by default)."""
        p = self.p
        open_hosts = p.t.open_hosts if self.track else {}
        size = len(region) if size is None else size
        plain = region.find(b"\x1b", 0, size) == -1
        pos = 0  # start of the next line not yet accounted for
        while pos <= size:
            if p._pending is not None or p._in_recap:
                if p._pending is None:
                    pos = self._recap(region, pos, size)
                    if pos > size:
                        return
                end = region.find(b"\n", pos, size)
                end = size if end == -1 else end
                self._one(region[pos:end])
                pos = end + 1
                continue
            if open_hosts:
                self._refresh(open_hosts)
                m = (_RX_ALL if self._odd else _RX_OPEN).search(region, pos, size)
                found = None if m is None else m.start()
            elif plain:
                found = _next_candidate(region, pos, size)
            else:
                m = _RX.search(region, pos, size)
                found = None if m is None else m.start()
            if found is None:
                self._skip(region, pos, size, open_hosts)
                p.lines += _newlines(region, pos, size) + 1
                return
            at = found
            nl = region.rfind(b"\n", pos, at)
            start = pos if nl == -1 else nl + 1
            if start > pos:
                self._skip(region, pos, start - 1, open_hosts)
                p.lines += _newlines(region, pos, start)
            end = region.find(b"\n", at, size)
            end = size if end == -1 else end
            self._one(region[start:end])
            pos = end + 1

    def _recap(self, region: bytes | bytearray, pos: int, size: int) -> int:
        """Plain recap lines from ``pos`` on, read in C (what StdoutParser.feed does with them, without the
        per-line Python); returns the start of the first line that is not one."""
        p = self.p
        run = _RECAP_RUN.match(region, pos, size)
        if run is not None and run.end() > pos:
            # Every line of the run, as the loop below reads it one by one (findall meets each at its start).
            rows = _RECAP_B.findall(region, pos, run.end())
            recap_line = p.t.recap_line
            for host, ok, changed, unreachable, failed, skipped, rescued, ignored in rows:
                recap_line(
                    host.decode("ascii"),
                    {
                        "ok": int(ok),
                        "changed": int(changed),
                        "unreachable": int(unreachable),
                        "failed": int(failed),
                        "skipped": int(skipped or 0),
                        "rescued": int(rescued or 0),
                        "ignored": int(ignored or 0),
                    },
                )
            p.lines += len(rows)
            pos = run.end()
        match = _RECAP_B.match
        while True:
            m = match(region, pos, size)
            if m is None:
                return pos
            p.lines += 1
            p.t.recap_line(
                m.group(1).decode("ascii"), {k: int(v or 0) for k, v in zip(_RECAP_KEYS, m.groups()[1:], strict=True)}
            )
            pos = m.end() + 1
            if pos > size:
                return pos

    def _one(self, raw: bytes | bytearray) -> None:
        line = raw.decode("utf-8", errors="replace")
        self.step(self.p, line.rstrip("\r") if self.text else line)

    def _skip(self, region: bytes | bytearray, start: int, end: int, open_hosts: Mapping[str, object]) -> None:
        """Lines region[start:end] hold no candidate; only a simple plain result of an open host matters."""
        if not open_hosts or start >= end:
            return
        for hit in self._forms.intersection(bytes(region[start:end]).split(b"\n")):
            host = hit[hit.index(b"[") + 1 : hit.rindex(b"]")].decode("utf-8")
            # Results of one task in any order: marking a host's earlier failures followed is idempotent.
            if host in open_hosts:
                self.p.t.activity(host)

    def _refresh(self, open_hosts: Mapping[str, object]) -> None:
        if self.p.t.open_added == self._seen:
            return
        self._seen = self.p.t.open_added
        for host in open_hosts.keys() - self._formed:
            self._formed.add(host)
            try:
                name = host.encode("utf-8")
            except UnicodeEncodeError:
                name = b"\xff"  # never a whole line: such a host is handled by feeding all plain lines
            if "\ufffd" in host or b"\xff" in name:
                self._odd_names.add(host)
                continue
            for prefix in _PLAIN:
                self._forms.update((prefix + b"[" + name + b"]", prefix + b"[" + name + b"]\r"))
        self._odd = self._odd_names.intersection(open_hosts)

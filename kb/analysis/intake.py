r"""Read a log the way it was written, and say what it is before analysing it.

Nothing is skipped silently: the encoding is detected (a BOM; UTF-16 without one from its NUL
bytes; UTF-8; else latin-1, which decodes any byte) and named; UTF-16 runs inside an otherwise
8-bit log are decoded in place and reported; an empty file, binary data, or text that holds no
Ansible/AWX output is reported as such instead of "no failed hosts".

>>> log = decode_log("TASK [x] ***\nfatal: [h]: FAILED! => {}\n".encode("utf-16"))
>>> log.encoding, log.kind.value, log.text.splitlines()[0]
('utf-16', 'ansible', 'TASK [x] ***')
>>> [decode_log(b).kind.value for b in (b"", b"\x00\x01\x02\x03\xff" * 20, b"hello world\n")]
['empty', 'binary', 'not_ansible']
>>> decode_log("PLAY RECAP ***\nh : ok=1 changed=0 unreachable=0 failed=0\nrésumé".encode("latin-1")).encoding
'latin-1'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from enum import StrEnum


class LogKind(StrEnum):
    ansible = "ansible"
    not_ansible = "not_ansible"
    empty = "empty"
    binary = "binary"


@dataclass(slots=True)
class DecodedLog:
    text: str
    encoding: str
    kind: LogKind
    notes: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        """Why this input cannot be analysed as a log, in words for the user; None when it can."""
        if self.kind is LogKind.empty:
            return "the log is empty: there is nothing to analyse"
        if self.kind is LogKind.binary:
            return (
                f"the input is binary data ({self.encoding} decoding gives mostly control characters), not a job "
                "log: send the job's stdout as text (AWX: /api/v2/jobs/<id>/stdout/?format=txt)"
            )
        if self.kind is LogKind.not_ansible:
            return (
                "this is not an AWX/Ansible job log: no PLAY/TASK banner, host result (ok:/changed:/fatal:) or "
                "PLAY RECAP line was found; send the job's stdout (AWX: /api/v2/jobs/<id>/stdout/?format=txt)"
            )
        return None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A run of UTF-16 text (ASCII range) inside an 8-bit log: a character, then NUL, at least 8 times.
_UTF16LE_RUN = re.compile(rb"(?:[\x01-\x7f]\x00){8,}")
_UTF16BE_RUN = re.compile(rb"(?:\x00[\x01-\x7f]){8,}")
_MARKERS = re.compile(
    r"^(?:PLAY \[|PLAY RECAP|TASK \[|RUNNING HANDLER \[|(?:ok|changed|fatal|failed|skipping|unreachable|rescued|"
    r"ignored): \[|\S+\s*: ok=\d+\s+changed=\d+)|\x1b\[[0-9;]*m(?:PLAY|TASK|ok|changed|fatal|failed)",
    re.MULTILINE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
_SNIFF = 64 * 1024


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 when nearly all of the head is UTF-16 text (a mixed log has 8-bit lines between)."""
    head = raw[:_SNIFF]
    if len(head) < 16:
        return None
    for rx, name in ((_UTF16LE_RUN, "utf-16-le"), (_UTF16BE_RUN, "utf-16-be")):
        if sum(len(m[0]) for m in rx.finditer(head)) >= 0.9 * len(head):
            return name
    return None


def _decode(raw: bytes) -> tuple[str, str, list[str]]:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw.decode(name, errors="replace"), name.replace("-sig", ""), []
    wide = _utf16_without_bom(raw)
    if wide:
        return raw.decode(wide, errors="replace"), wide, [f"decoded as {wide} (no byte order mark)"]
    notes: list[str] = []
    for rx, name in ((_UTF16LE_RUN, "utf-16-le"), (_UTF16BE_RUN, "utf-16-be")):
        runs = list(rx.finditer(raw))
        if runs:
            notes.append(f"{len(runs)} {name} section(s) inside the log ({sum(len(m[0]) for m in runs)} bytes) decoded")
            raw = rx.sub(lambda m, n=name: m[0].decode(n).encode("utf-8"), raw)  # type: ignore[misc]
    try:
        return raw.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        notes.append(f"not valid UTF-8 (first bad byte at offset {exc.start}): decoded as latin-1")
        return raw.decode("latin-1"), "latin-1", notes


def decode_log(raw: bytes) -> DecodedLog:
    """The log's text, the encoding it was read with, what kind of input it is, and notes on the decoding."""
    if not raw.strip():
        return DecodedLog("", "utf-8", LogKind.empty)
    text, encoding, notes = _decode(raw)
    return classify(text, encoding, notes)


def classify(text: str, encoding: str = "utf-8", notes: list[str] | None = None) -> DecodedLog:
    """What kind of input a decoded text is (empty, binary, Ansible output, or something else)."""
    notes = list(notes or [])
    if not text.strip():
        return DecodedLog(text, encoding, LogKind.empty, notes)
    sample = text[:_SNIFF]
    if len(_CONTROL.findall(sample)) > 0.1 * len(sample):
        return DecodedLog(text, encoding, LogKind.binary, notes)
    if "\x00" in text:
        notes.append(f"{text.count(chr(0))} NUL character(s) in the text were dropped")
        text = text.replace("\x00", "")
    kind = LogKind.ansible if _MARKERS.search(text) else LogKind.not_ansible
    return DecodedLog(text, encoding, kind, notes)

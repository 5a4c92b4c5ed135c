"""The block scan (kb.analysis.scan) gives exactly what feeding every line gives, on any input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.analysis.parser import _BLOCK, MAX_LINE_BYTES, _iter_binary, parse_lines, parse_stdout
from kb.analysis.scan import binary_regions, text_regions

LOGS = Path(__file__).resolve().parents[2] / "evals" / "logs"

# Lines that drive every branch: banners, failures (one-line, multi-line, delegated, items),
# '...ignoring', rescues (a later plain result of a failed host), recap lines, plain results of
# simple and other forms, ANSI colour, CR line ends, invalid UTF-8, a host whose name is not UTF-8.
_LINES = [
    "TASK [x] ***",
    "TASK [y] ***",
    "RUNNING HANDLER [r : restart] ***",
    "PLAY [p] ***",
    "PLAY RECAP ***",
    "NO MORE HOSTS LEFT ***",
    "...ignoring",
    "...ignoring \r",
    'fatal: [h]: FAILED! => {"msg": "m"}',
    'fatal: [h2]: FAILED! => {"msg": "m2", "rc": 2}',
    "fatal: [h]: FAILED! => {",
    '    "msg": "x"',
    "}",
    'fatal: [h -> d]: UNREACHABLE! => {"msg": 1}',
    "failed: [h2] (item=i) => {",
    'failed: [h] (item=a) => {"msg": "item failed"}',
    "failed: [h] => {}",
    "ok: [h]",
    "ok: [h]\r",
    "ok: [h]\r\r",
    "changed: [h2]",
    "skipping: [h]",
    "ok: [h2 -> localhost]",
    "ok: [h] => (item=a)",
    "changed: [h2] => {",
    "ok: [h",
    "ok: [h ]",
    "ok: []",
    "ok: [h1]",
    "rescued: [h]",
    "ignored: [h2]",
    "h : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=1 ignored=0",
    "h2 : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    # The recap decides alone (kb.analysis.parser's first pass is then the answer): failures, no rescue.
    "h : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
    "h2 : ok=1 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0",
    "FAILED - RETRYING: [h]: x (3 retries left).",
    "\x1b[0;32mok: [h]\x1b[0m",
    "\x1b[0;31mfatal: [h2]: FAILED! => {]\x1b[0m",
    "TASK [z] \x1b[0m***",
    "",
    "   ",
    "some task output",
    "fatal: [\udcff]: FAILED! => {}",
    "ok: [\udcff]",
]


def _as_bytes(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def _same(source_for_scan: object, source_for_lines: object) -> None:
    assert parse_stdout(source_for_scan) == parse_lines(source_for_lines)  # type: ignore[arg-type]


_logs = st.lists(
    st.one_of(
        st.sampled_from(_LINES),
        st.text(alphabet=st.sampled_from('ok:[]h2 ->\r\x1b{}"fatl.TASKPLY\t'), max_size=30),
        st.text(max_size=40),
    ),
    max_size=80,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs, st.booleans())
def test_scan_equals_line_by_line_on_bytes(lines, trailing_newline):
    data = _as_bytes(lines) + (b"\n" if trailing_newline else b"")
    _same(data, data)
    _same(io.BytesIO(data), io.BytesIO(data))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs, st.booleans())
def test_scan_equals_line_by_line_on_text(lines, trailing_newline):
    text = "\n".join(lines) + ("\n" if trailing_newline else "")
    _same(text, text)


@pytest.mark.parametrize("log", sorted(p.name for p in LOGS.glob("*.log")))
def test_public_logs_scan_equals_line_by_line(log):
    data = (LOGS / log).read_bytes()
    _same(data, data)
    _same(data.decode("utf-8", "replace"), data.decode("utf-8", "replace"))
    crlf = data.replace(b"\n", b"\r\n")
    _same(crlf, crlf)
    _same(crlf.decode("utf-8", "replace"), crlf.decode("utf-8", "replace"))


def test_rescue_after_many_plain_lines_is_seen():
    # A host fails, 3,000 other results follow, then the host runs a later task: rescued.
    lines = ["PLAY [p] ***", "TASK [a] ***", 'fatal: [web-7]: FAILED! => {"msg": "boom"}']
    lines += ["TASK [b] ***"] + [f"ok: [web-{i}]" for i in range(8, 3000)] + ["changed: [web-7]"]
    lines += ["PLAY RECAP ***", "web-7 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=1 ignored=0"]
    data = "\n".join(lines).encode()
    a = parse_stdout(data)
    assert a == parse_lines(data)
    assert a.failures == [] and [(f.host, f.ignored) for f in a.ignored] == [("web-7", "rescued")]
    assert a.lines == len(lines)


def test_failure_line_numbers_count_skipped_lines():
    lines = ["TASK [a] ***"] + [f"ok: [h{i}]" for i in range(5000)] + ['fatal: [x]: FAILED! => {"msg": "m"}']
    a = parse_stdout("\n".join(lines))
    assert [(f.host, f.line) for f in a.failures] == [("x", 5002)]


def test_regions_split_like_the_line_reader_over_block_and_length_limits():
    # Lines longer than a block, longer than MAX_LINE_BYTES, and a cut-off tail.
    data = (
        b"a\n"
        + b"x" * (_BLOCK + 10)
        + b"\nb\n"
        + b"y" * (MAX_LINE_BYTES * 2 + 5)
        + b"\nc\xff\n"
        + b"z" * (MAX_LINE_BYTES + 3)
    )
    regions = list(binary_regions(io.BytesIO(data), _BLOCK, MAX_LINE_BYTES))
    lines = [line.decode("utf-8", "replace") for r in regions for line in r.split(b"\n")]
    assert lines == list(_iter_binary(io.BytesIO(data)))
    # and what they are: every line, each cut to MAX_LINE_BYTES, invalid UTF-8 replaced
    expected = [ln[:MAX_LINE_BYTES].decode("utf-8", "replace") for ln in data.split(b"\n")]
    assert lines == expected


def test_text_regions_fall_back_for_surrogates_and_long_lines():
    text = "ok: [a]\n\udcff\n" + "q" * (MAX_LINE_BYTES + 2) + "\r\nend\r"
    chunks = list(text_regions(text, MAX_LINE_BYTES))
    # The first chunk holds the over-long line (kept as lines, cut); the rest is bytes again.
    assert chunks == [["ok: [a]", "\udcff", "q" * MAX_LINE_BYTES], b"end\r"]
    assert list(text_regions("a\r\nb\n", MAX_LINE_BYTES)) == [b"a\r\nb"]
    assert list(text_regions("", MAX_LINE_BYTES)) == []


def test_first_pass_answers_when_the_recap_decides_and_reads_again_when_it_does_not():
    from kb.analysis.parser import _scan

    failing = ["TASK [a] ***", 'fatal: [web-1]: FAILED! => {"msg": "m"}', "TASK [b] ***", "ok: [web-1]"]
    decided = [*failing, "PLAY RECAP ***", "web-1 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0"]
    rescued = [*failing, "PLAY RECAP ***", "web-1 : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=1"]
    for lines in (decided, rescued, failing):
        text = "\n".join(lines) + "\n"
        assert parse_stdout(text) == parse_lines(text)
        assert parse_stdout(io.BytesIO(text.encode())) == parse_lines(text)
    assert not _scan("\n".join(decided), track=False).t.followed_matters()
    assert _scan("\n".join(rescued), track=False).t.followed_matters()
    assert _scan("\n".join(failing), track=False).t.followed_matters()  # no recap: a cut-off log
    assert [f.ignored for f in parse_stdout("\n".join(rescued)).ignored] == ["rescued"]


def test_recap_lines_of_hosts_named_like_keywords_are_read():
    log = "\n".join(
        [
            "PLAY [p] ***",
            "TASK [t] ***",
            'fatal: [fe-01]: FAILED! => {"msg": "boom"}',
            "PLAY RECAP ***",
            "fe-01 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
            "PLAYER-1 : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
            "ok-host : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        ]
    )
    for a in (parse_stdout(log), parse_lines(log)):
        assert set(a.recap) == {"fe-01", "PLAYER-1", "ok-host"} and a.recap["fe-01"]["failed"] == 1
        assert [f.host for f in a.failures] == ["fe-01"]


def test_recap_read_in_c_equals_line_by_line_for_odd_recap_lines():
    recap = [
        "PLAY RECAP ***",
        "web-1 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0\r",
        "\x1b[0;31mweb-2\x1b[0m : ok=1 changed=0 unreachable=0 failed=1",
        "wéb-3 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
        "web-4\t: ok=3\tchanged=0 unreachable=1 failed=0 trailing words",
        "",
        "web-5 : ok=x changed=0 unreachable=0 failed=0",
        "web-6 : ok=1 changed=0 unreachable=0 failed=0",
    ]
    log = "\n".join(["TASK [t] ***", 'fatal: [web-1]: FAILED! => {"msg": "m"}', *recap])
    for source in (log, log.encode(), io.BytesIO(log.encode())):
        a = parse_stdout(source)
        assert a == parse_lines(log)
    assert set(parse_lines(log).recap) == {"web-1", "web-2", "wéb-3", "web-4", "web-6"}


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200).map(lambda b: bytes(b"ab\n\r"[x % 4] for x in b)), st.integers(1, 16), st.integers(1, 24)
)
def test_reused_buffer_blocks_equal_copied_regions(data, block, max_line):
    from kb.analysis.scan import _copied_regions, binary_blocks

    got = []
    for buf, size in binary_blocks(io.BytesIO(data), block, max_line):
        if size < len(buf):  # what RE2 sees one byte past the end of a run is the LF that ended it
            assert buf[size] == ord("\n")
        got.append(bytes(buf[:size]))
    assert got == list(_copied_regions(io.BytesIO(data), block, max_line))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs, st.sampled_from([5, 17, 64, 301]))
def test_scan_over_small_blocks_equals_line_by_line(lines, block):
    # Many blocks: lines, recap runs and multi-line results cut at block ends, the buffer reused.
    from kb.analysis import parser

    lines = [*lines, "PLAY RECAP ***", *(f"h{i} : ok={i} changed=0 unreachable=0 failed={i % 2}" for i in range(30))]
    data = _as_bytes(lines)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parser, "_BLOCK", block)
        _same(io.BytesIO(data), data)


def test_long_recap_is_read_whole_across_blocks():
    lines = ["PLAY [p] ***", "TASK [t] ***", 'fatal: [h7]: FAILED! => {"msg": "m"}', "PLAY RECAP ***"]
    lines += [
        f"h{i} : ok={i} changed=1 unreachable=0 failed={int(i == 7)} skipped=0 rescued=0 ignored=0"
        for i in range(20_000)
    ]
    data = "\n".join(lines).encode()
    a = parse_stdout(io.BytesIO(data))
    assert a == parse_lines(data)
    assert len(a.recap) == 20_000 and a.recap["h19999"]["ok"] == 19_999 and a.lines == len(lines)
    assert [f.host for f in a.failures] == ["h7"]

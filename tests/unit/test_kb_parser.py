"""The stdout analyser: every failure that counts, nothing else, and never a crash on bad input."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.analysis.parser import MAX_LINE_BYTES, parse_stdout
from kb.models import IgnoreReason

LOGS = Path(__file__).resolve().parents[2] / "evals" / "logs"
BANNER = "*" * 20


def _cases():
    return [json.loads(line) for line in (LOGS / "cases.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["log"])
def test_public_logs_give_exactly_the_expected_failures(case):
    analysis = parse_stdout((LOGS / case["log"]).read_bytes())
    got = sorted((f.host, f.task) for f in analysis.failures)
    assert got == sorted((e["host"], e["task"]) for e in case["expected"])


def test_match_text_fields_in_order_each_on_its_own_line():
    a = parse_stdout((LOGS / "repo-failures-rhel8.log").read_bytes())
    f = next(f for f in a.failures if f.host == "app-prod-04")
    lines = f.match_text.split("\n")
    assert lines[0] == "non-zero return code"
    assert lines[1].startswith("Error: There are no enabled repositories")  # stderr before stdout
    assert "This system is not registered" in f.match_text
    assert f.rc == 1 and f.message.startswith("Error: There are no enabled repositories")


def test_failed_modules_of_fact_gathering_are_in_match_text_and_module_known():
    a = parse_stdout((LOGS / "interpreter-failures.log").read_bytes())
    f = next(f for f in a.failures if f.host == "app-dev-02")
    assert f.module == "ansible.legacy.setup"
    assert "/bin/sh: 1: /usr/bin/python3: not found" in f.match_text
    assert "\r" not in f.match_text


def test_a_task_that_could_not_start_is_read_from_its_reason():
    """An include Ansible cannot resolve prints only ``reason``: it is the failure's message and match text."""
    reason = "couldn't resolve module/action 'community.general.zypper'. This often indicates a misspelling"
    log = (
        "TASK [sles : Include package tasks] ***\n"
        f'fatal: [sap-01]: FAILED! => {{"reason": "{reason}"}}\n'
        "PLAY RECAP ***\nsap-01 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0\n"
    )
    [f] = parse_stdout(log).failures
    assert (f.host, f.task, f.message, f.match_text) == ("sap-01", "sles : Include package tasks", reason, reason)
    cut = log.split("This often")[0]  # a result cut off mid-string is still read
    assert parse_stdout(cut).failures[0].message.startswith("couldn't resolve module/action")


def test_ansi_and_crlf_are_handled():
    log = (LOGS / "unreachable-mixed.log").read_text().replace("\n", "\r\n")
    a = parse_stdout(log.encode())
    assert {f.host for f in a.failures} == {"bastion-01", "db-prod-02", "lb-prod-01"}
    assert all(f.unreachable for f in a.failures if f.host != "lb-prod-01")
    assert a.recap["mon-01"]["ok"] == 7


def test_ignoring_rescue_and_retries():
    ignored = {(f.host, f.ignored) for f in parse_stdout((LOGS / "gpg-and-deps.log").read_bytes()).ignored}
    assert ("web-stg-01", IgnoreReason.ignored) in ignored
    rescued = parse_stdout((LOGS / "rescue-block.log").read_bytes()).ignored
    assert [(f.host, f.ignored) for f in rescued] == [("app-stg-01", IgnoreReason.rescued)]
    loops = parse_stdout((LOGS / "loop-and-retries.log").read_bytes())
    assert "cache-prod-02" not in {f.host for f in loops.failures}  # only RETRYING lines, then changed


RESCUE_FAILS = f"""
PLAY [p] {BANNER}

TASK [Update] {BANNER}
fatal: [h1]: FAILED! => {{"msg": "first"}}

TASK [Fallback update] {BANNER}
fatal: [h1]: FAILED! => {{"msg": "rescue failed too"}}

PLAY RECAP {BANNER}
h1                         : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=1    ignored=0
"""


def test_a_failure_inside_the_rescue_section_counts():
    a = parse_stdout(RESCUE_FAILS)
    assert [f.msg for f in a.failures] == ["rescue failed too"]
    assert [(f.msg, f.ignored) for f in a.ignored] == [("first", IgnoreReason.rescued)]


def test_a_failure_followed_only_by_an_always_section_counts():
    log = RESCUE_FAILS.replace('fatal: [h1]: FAILED! => {"msg": "rescue failed too"}', "ok: [h1]").replace(
        "rescued=1", "rescued=0"
    )
    assert [f.msg for f in parse_stdout(log).failures] == ["first"]


CUT_OFF_BLOCK = f"""PLAY [patch] {BANNER}
TASK [Snapshot] {BANNER}
fatal: [a -> localhost]: FAILED! => {{"msg": "no such VM"}}
ok: [b -> localhost]
ok: [c -> localhost]
TASK [Snapshot with LVM instead] {BANNER}
fatal: [a]: FAILED! => {{"msg": "lvcreate: insufficient free space"}}
TASK [Apply updates] {BANNER}
fatal: [b]: FAILED! => {{"msg": "GPG check FAILED"}}
ok: [c]
TASK [Remove maintenance banner] {BANNER}
changed: [a]
changed: [b]
changed: [c]
TASK [Reboot] {BANNER}
"""


def test_a_log_cut_off_before_the_recap_tells_an_always_section_from_a_rescue():
    # No recap: a failed snapshot was rescued (the host went on into the LVM task), the rescue's own failure counts,
    # and so does the failed update, though its host ran on too: into the same task a failed rescue led to, an
    # always section.
    a = parse_stdout(CUT_OFF_BLOCK)
    assert [(f.host, f.msg) for f in a.failures] == [
        ("a", "lvcreate: insufficient free space"),
        ("b", "GPG check FAILED"),
    ]
    assert [(f.host, f.ignored) for f in a.ignored] == [("a", IgnoreReason.rescued)]
    # Without a failed rescue nothing tells the always section from more of the play: a followed failure is rescued.
    plain = CUT_OFF_BLOCK.replace('fatal: [a]: FAILED! => {"msg": "lvcreate: insufficient free space"}', "ok: [a]")
    assert [f.host for f in parse_stdout(plain).failures] == []


RECAP_SHORT_OF_RESCUES = f"""PLAY [patch] {BANNER}
TASK [Stop the app] {BANNER}
fatal: [h1]: FAILED! => {{"msg": "stop script failed"}}
ok: [h2]
TASK [Kill the app instead] {BANNER}
changed: [h1]
TASK [Apply updates] {BANNER}
fatal: [h1]: FAILED! => {{"msg": "No space left on device"}}
ok: [h2]
TASK [Report] {BANNER}
ok: [h2]
PLAY RECAP {BANNER}
h1 : ok=3 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0
h2 : ok=4 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0
"""


@pytest.mark.parametrize("as_bytes", [False, True], ids=["text", "bytes"])
def test_a_host_never_counts_more_failures_than_its_recap_says(as_bytes: bool) -> None:
    # Ansible counts a rescued failure as rescued=, not failed=: with failed=1, the failure the host went on from
    # (into "Kill the app instead") was rescued, though this recap's rescued= does not say so.
    log = RECAP_SHORT_OF_RESCUES.encode() if as_bytes else RECAP_SHORT_OF_RESCUES
    a = parse_stdout(log)
    assert [(f.host, f.msg) for f in a.failures] == [("h1", "No space left on device")]
    assert [(f.host, f.ignored) for f in a.ignored] == [("h1", IgnoreReason.rescued)]
    # failed=2: both count (the first was followed only by an always section).
    both = RECAP_SHORT_OF_RESCUES.replace("failed=1", "failed=2")
    assert [f.msg for f in parse_stdout(both.encode() if as_bytes else both).failures] == [
        "stop script failed",
        "No space left on device",
    ]


def test_delegated_loop_items_and_multiline_json():
    log = f"""TASK [role_x : Check] {BANNER}
failed: [web-01 -> localhost] (item=a) => {{"item": "a", "msg": "boom a"}}
ok: [web-01 -> localhost] => (item=b)
failed: [web-01 -> localhost] (item=c) => {{"item": "c", "msg": "boom c"}}
fatal: [web-02]: FAILED! => {{
    "changed": false,
    "msg": "indented result"
}}
ok: [web-03]
"""
    a = parse_stdout(log)
    assert [(f.host, f.task, f.item, f.delegated_to, f.role) for f in a.failures] == [
        ("web-01", "role_x : Check", "a, c", "localhost", "role_x"),
        ("web-02", "role_x : Check", None, None, "role_x"),
    ]
    assert a.failures[0].match_text == "boom a\nboom c"
    assert a.failures[1].msg == "indented result"


def test_unreachable_ignored():
    log = 'TASK [t] ***\nfatal: [h]: UNREACHABLE! => {"msg": "gone", "unreachable": true}\n...ignoring\n'
    a = parse_stdout(log)
    assert a.failures == [] and a.ignored[0].unreachable


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02\xff" * 1000, os.urandom(65536), "é".encode("latin-1") * 100, b"\n\n\n"],
    ids=["empty", "binary", "random", "latin1", "blank"],
)
def test_garbage_gives_no_failures_and_no_error(data):
    assert parse_stdout(data).failures == []


def test_fatal_line_whose_json_does_not_parse_gives_a_best_effort_failure():
    a = parse_stdout(b'TASK [t] ***\nfatal: [h]: FAILED! => {"msg": "disk full\\nE: x", "rc": 1, oops}\n')
    assert [(f.host, f.msg, f.rc) for f in a.failures] == [("h", "disk full\nE: x", 1)]


def test_log_cut_off_mid_result():
    text = (LOGS / "dnf-disk-full.log").read_text()
    cut = text[: text.index("needs 118MB") + 5]
    a = parse_stdout(cut)
    hosts = {f.host for f in a.failures}
    assert {"app-prod-01", "web-prod-04", "web-prod-02"} <= hosts
    assert next(f for f in a.failures if f.host == "web-prod-02").msg.startswith("Unknown Error occurred")


def test_cut_off_multiline_result_at_end_of_log():
    a = parse_stdout('TASK [t] ***\nfatal: [h]: FAILED! => {\n    "msg": "half')
    assert a.truncated and a.failures[0].host == "h" and a.failures[0].msg == "half"


def test_single_10mb_line_is_bounded():
    line = b'TASK [t] ***\nfatal: [h]: FAILED! => {"msg": "' + b"x" * (10 * 1024 * 1024) + b'"}\nok: [h2]\n'
    a = parse_stdout(line)  # bounded by size, not by a wall-time limit (the bench measures speed)
    assert a.failures[0].host == "h"
    assert len(a.failures[0].match_text) <= 70 * 1024
    assert MAX_LINE_BYTES < 10 * 1024 * 1024


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=200),
            st.sampled_from(
                [
                    "TASK [x] ***",
                    "PLAY [p] ***",
                    "PLAY RECAP ***",
                    "...ignoring",
                    "fatal: [h]: FAILED! => {",
                    'fatal: [h]: FAILED! => {"msg": "m"}',
                    "failed: [h] (item=i) => {",
                    'fatal: [h -> d]: UNREACHABLE! => {"msg": 1}',
                    "h : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=1 ignored=0",
                    '    "msg": "x"',
                    "}",
                    "\x1b[0;31mfatal: [h]: FAILED! => {]\x1b[0m",
                ]
            ),
            st.binary(max_size=100).map(lambda b: b.decode("utf-8", "replace")),
        ),
        max_size=60,
    )
)
def test_generated_logs_never_raise(lines):
    a = parse_stdout("\n".join(lines))
    for f in a.failures + a.ignored:
        assert isinstance(f.host, str) and isinstance(f.match_text, str)


@pytest.mark.slow
def test_200mb_log_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "big.log"
    chunk = "".join(
        f"TASK [Task {t}] {BANNER}\n" + "".join(f"ok: [host-{h:05d}]\n" for h in range(400)) for t in range(10)
    )
    failure = 'fatal: [host-00007]: FAILED! => {"changed": false, "msg": "Missing sudo password"}\n'
    with path.open("w") as fh:
        written = 0
        while written < 200 * 1024 * 1024:
            fh.write(chunk)
            written += len(chunk)
        fh.write(f"TASK [Last] {BANNER}\n{failure}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with path.open("rb") as fh:
        a = parse_stdout(fh)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert [(f.host, f.task) for f in a.failures] == [("host-00007", "Last")]
    assert grown_mb < 100, f"RSS grew by {grown_mb:.0f} MB"

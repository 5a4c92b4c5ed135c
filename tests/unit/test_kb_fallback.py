"""The similarity fallback: signals that must agree, "possibly related" below the bar, the LLM's pick verified."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kb.analysis import fallback
from kb.analysis.chooser import openai_chooser, parse_pick
from kb.analysis.fallback import Profiles
from kb.calibrate import RELABELS, VARIANTS, MemoryKb, load_relabels, load_variants, summary, text_sha


@pytest.fixture(scope="module")
def kb() -> MemoryKb:
    return MemoryKb()


def test_own_variant_set_has_no_wrong_fix_and_recovers_rewordings(kb: MemoryKb) -> None:
    cases = load_variants(VARIANTS)
    report = summary(kb.run(c) for c in cases)
    assert report["wrong"] == 0, report["wrong_cases"]
    assert report["expected_an_entry"] >= 70 and report["expected_none"] >= 35
    # Before this fallback (cosine >= 0.97 alone) 1 of these re-wordings was answered; now 13 (85-entry KB; a
    # 14th, kbe-051, is answered by a pattern since yum's curl#58 client-certificate wording joined the seed, a 15th,
    # kbe-005, since dpkg's "unable to install new version of" did, a 16th, kbe-024, since urlgrabber's "[Errno 12]
    # Timeout on" did).
    assert report["right_similar"] >= 12 and report["right"] >= 58


def test_a_stale_label_is_relabelled_only_for_its_own_id_and_text(tmp_path: Path, kb: MemoryKb) -> None:
    text = "E: Release file for http://a.example/debian/dists/x/InRelease is expired (invalid since 3d 2h)."
    lines = [
        {"id": "v-1", "text": text, "expected": None, "kind": "near_miss"},
        {"id": "v-2", "text": text.replace("3d", "4d"), "expected": None, "kind": "near_miss"},  # another text
    ]
    cases_file = tmp_path / "v.jsonl"
    cases_file.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    relabels = {("v-1", text_sha(text)): "apt-release-expired", ("v-2", text_sha(text)): "apt-release-expired"}
    one, two = load_variants(cases_file, relabels)
    assert (one["expected"], one["label_original"]) == ("apt-release-expired", None)
    assert two["expected"] is None and "label_original" not in two
    report = summary(kb.run(c) for c in (one, two))
    assert (report["wrong"], report["relabelled"], report["wrong_vs_original_labels"]) == (1, 1, 2)
    # Every shipped relabel names an entry of the seed.
    assert set(load_relabels(RELABELS).values()) <= set(kb.profiles.by_slug)


def test_answer_bars_are_the_calibrated_zero_wrong_point(kb: MemoryKb) -> None:
    cases = load_variants(VARIANTS)
    saved = fallback.ANSWER_KEY
    try:
        fallback.ANSWER_KEY = 0.0  # without the key-term agreement, near-misses get answered
        loose = summary(kb.run(c) for c in cases)
    finally:
        fallback.ANSWER_KEY = saved
    assert loose["wrong"] > 0


def test_package_manager_disagreement_blocks_an_answer(kb: MemoryKb) -> None:
    text = "dpkg: error: dpkg frontend lock was locked by another process with pid 2391"
    d = kb.profiles.decide(text, None, kb.neighbours(text))
    rpm = [c for c in d.candidates if c.slug == "dnf-rpmdb-lock"]
    assert rpm and rpm[0].conflict is not None and "deb" in rpm[0].conflict
    assert d.answer is None or d.answer.slug == "apt-dpkg-lock-held"


def test_near_miss_is_related_with_a_score_not_an_answer(kb: MemoryKb) -> None:
    # apt words it like a repository problem, but no entry is about APT::Default-Release.
    text = "E: The value 'stable' is invalid for APT::Default-Release as such a release is not available in the sources"
    assert kb.kb.match(text, "ansible.builtin.apt") is None
    d = kb.profiles.decide(text, "ansible.builtin.apt", kb.neighbours(text))
    assert d.answer is None
    assert d.related and all(fallback.RELATED_SCORE <= r.score < 1 for r in d.related)


def test_a_code_the_pattern_demands_must_be_in_the_failure(kb: MemoryKb) -> None:
    # reboot-timeout's wait_for pattern demands port 22 (sshd); an application port is another cause, even
    # though the text is a stored sample with another address.
    def reboot_key(text: str) -> float:
        d = kb.profiles.decide(text, "ansible.builtin.wait_for", kb.neighbours(text))
        return next(c.key for c in d.candidates if c.slug == "reboot-timeout")

    app = "Timeout when waiting for 10.9.8.7:8080"
    assert kb.kb.match(app, "ansible.builtin.wait_for") is None
    d = kb.profiles.decide(app, "ansible.builtin.wait_for", kb.neighbours(app), near_duplicate=0.97)
    assert d.answer is None
    assert reboot_key(app) < fallback.ANSWER_KEY <= reboot_key("Timeout when waiting for 10.9.8.7:22 to start")


def test_a_repository_entry_conflicts_with_a_failure_showing_no_repository(kb: MemoryKb) -> None:
    health = "curl: (7) Failed to connect to app.example.com port 8443 after 2 ms: Couldn't connect to server"
    d = kb.profiles.decide(health, "ansible.builtin.command", kb.neighbours(health))
    timeout = [c for c in d.candidates if c.slug == "repo-connection-timeout"]
    assert timeout and timeout[0].conflict is not None and "repository" in timeout[0].conflict
    assert d.answer is None
    mirror = health.replace("app.example.com port 8443", "mirror.example.com port 443") + (
        " for https://mirror.example.com/el9/repodata/repomd.xml"
    )
    d = kb.profiles.decide(mirror, "ansible.builtin.command", kb.neighbours(mirror))
    assert [c.conflict for c in d.candidates if c.slug == "repo-connection-timeout"] == [None]


def test_a_connection_entry_conflicts_with_a_command_that_ran(kb: MemoryKb) -> None:
    # Ansible's own words for its connection failing: the fallback may consider the connection entries ...
    bare = (
        "lost connection to backup01.example.com\nssh_dispatch_run_fatal: Connection to 10.4.4.4 port 22: Broken pipe"
    )
    own = "Failed to connect to the host via ssh: " + bare
    cands = {c.slug: c for c in kb.profiles.decide(own, None, kb.neighbours(own)).candidates}
    connection = [s for s in cands if kb.profiles.by_slug[s].connection and cands[s].conflict is None]
    assert connection
    # ... but not once the text says the task's command ran (its own scp/rsync lost the other server), nor when
    # the ssh words come without Ansible's (a module's or a command's own ssh: kb.analysis.terms.ran_on_host).
    for text, module in (("non-zero return code\n" + bare, "ansible.builtin.shell"), (bare, None)):
        d = kb.profiles.decide(text, module, kb.neighbours(text))
        by_slug = {c.slug: c for c in d.candidates}
        assert all("ran on the host" in (by_slug[s].conflict or "") for s in connection if s in by_slug), text
        assert d.answer is None or not kb.profiles.by_slug[d.answer.slug].connection


def test_an_interpreter_entry_conflicts_with_a_command_that_ran(kb: MemoryKb) -> None:
    # A deb822 hook's traceback in a command's output: the command's own Python, not Ansible's interpreter.
    text = (
        'Traceback (most recent call last):\n  File "/usr/lib/cnf-update-db", line 3, in <module>\n'
        "    import apt_pkg\nModuleNotFoundError: No module named apt_pkg (the hook's python3.12)"
    )
    module_failure = {
        c.slug: c for c in kb.profiles.decide(text, "ansible.builtin.apt", kb.neighbours(text)).candidates
    }
    assert module_failure["pkg-python-bindings-missing"].conflict is None
    ran = "non-zero return code\n" + text
    d = kb.profiles.decide(ran, "ansible.builtin.command", kb.neighbours(ran))
    by_slug = {c.slug: c for c in d.candidates}
    assert "its own Python" in (by_slug["pkg-python-bindings-missing"].conflict or "")
    assert d.answer is None or not kb.profiles.by_slug[d.answer.slug].interpreter


def test_a_value_the_entrys_pattern_leaves_out_conflicts(kb: MemoryKb) -> None:
    # The bindings entry names the libraries it is about (dnf, apt, rpm ...): another module's own library
    # in the same sentence is another cause, shown as possibly related at most.
    template = (
        "Failed to import the required Python library ({lib}) on web-07's Python /usr/bin/python3. Please read"
        " the module documentation and install it in the appropriate location."
    )
    other = template.format(lib="netaddr")
    d = kb.profiles.decide(other, "ansible.builtin.deb822_repository", kb.neighbours(other))
    by_slug = {c.slug: c for c in d.candidates}
    assert "leaves out" in (by_slug["pkg-python-bindings-missing"].conflict or "")
    assert d.answer is None or d.answer.slug != "pkg-python-bindings-missing"
    own = kb.profiles.by_slug["pkg-python-bindings-missing"]
    assert own.outside_slot(other)
    assert not own.outside_slot(template.format(lib="python3-dnf"))  # its pattern's own value
    assert not own.outside_slot("an unrelated line")  # the skeleton does not fit at all
    # A library named in words fills the same slot, up to the bracket that closes it.
    assert own.outside_slot(template.format(lib="Docker SDK for Python: docker above 5.0.0 (Python >= 3.6)"))


def test_a_path_the_entrys_pattern_does_not_name_conflicts(kb: MemoryKb) -> None:
    # The remote-tmp entry's mkdir pattern names Ansible's temporary directory (ansible-tmp): a script's own mkdir
    # of another path failing the same way is another cause, however alike the words.
    other = "non-zero return code\nmkdir: cannot create directory '/var/tmp/nightly-report': Disk quota exceeded\nrc: 1"
    d = kb.profiles.decide(other, "ansible.builtin.shell", kb.neighbours(other))
    assert d.answer is None or d.answer.slug != "ansible-remote-tmp-failed"
    own = kb.profiles.by_slug["ansible-remote-tmp-failed"]
    assert own.outside_slot(other)
    assert not own.outside_slot(other.replace("/var/tmp/nightly-report", "/home/patch/.ansible/tmp/ansible-tmp-17-1"))


def test_a_reason_after_any_words_is_still_the_steps_reason(kb: MemoryKb) -> None:
    # The disk entry's SQLite pattern names the reason after any words ("[^\n]*database or disk is full"): the same
    # database failing as "malformed" is another cause.
    other = 'SQLite error on "/var/lib/dnf/history.sqlite": Executing an SQL statement failed: database disk image is malformed'
    d = kb.profiles.decide(other, "ansible.builtin.dnf", kb.neighbours(other))
    assert d.answer is None or d.answer.slug != "dnf-no-space-left"
    own = kb.profiles.by_slug["dnf-no-space-left"]
    assert own.outside_slot(other) and not own.outside_slot(other.replace("disk image is malformed", "or disk is full"))


def test_a_step_failing_for_another_reason_conflicts(kb: MemoryKb) -> None:
    # The DNS entry's pattern names why the key server could not be reached ("No name for host"): the same
    # step failing for another reason is another cause, however alike the two texts read.
    other = "non-zero return code\ngpg: keyserver receive failed: Connection timed out"
    d = kb.profiles.decide(other, "ansible.builtin.command", kb.neighbours(other))
    by_slug = {c.slug: c for c in d.candidates}
    assert "leaves out" in (by_slug["repo-dns-resolution-failed"].conflict or "")
    assert d.answer is None or d.answer.slug != "repo-dns-resolution-failed"
    own = kb.profiles.by_slug["repo-dns-resolution-failed"]
    assert own.outside_slot(other) and not own.outside_slot(other.replace("Connection timed out", "No name for host"))


def test_a_language_package_manager_is_another_family(kb: MemoryKb) -> None:
    # pip filling a venv's disk names packages too, but dnf's cache and transaction are not involved.
    text = (
        "non-zero return code\nERROR: Could not install packages due to an OSError: [Errno 28] No space left on"
        " device: '/srv/app/venv/lib/python3.12/site-packages/pandas-2.2.3.dist-info'"
    )
    d = kb.profiles.decide(text, "ansible.builtin.pip", kb.neighbours(text))
    by_slug = {c.slug: c for c in d.candidates}
    assert "the failure is from lang" in (by_slug["dnf-no-space-left"].conflict or "")
    assert d.answer is None or d.answer.slug != "dnf-no-space-left"


def test_an_entry_about_one_package_manager_needs_the_failure_to_show_it(kb: MemoryKb) -> None:
    # gpg refusing a downloaded tarball's signature reads like dnf's GPG check; with no package manager in the
    # text or the module, the dnf entry is only "possibly related". On the dev sets such answers were right 4
    # times and wrong 2 times (kb/THRESHOLD.md).
    text = (
        "non-zero return code\ngpg: Signature made Tue 01 Dec 2026 10:12:44 AM UTC\ngpg: Can't check signature: No"
        " public key\nverify: signature of exporter-1.8.2.tar.gz did not verify"
    )
    d = kb.profiles.decide(text, "ansible.builtin.shell", kb.neighbours(text))
    assert d.answer is None
    by_slug = {c.slug: c for c in d.candidates}
    assert "names no package manager" in (by_slug["dnf-gpg-check-failed"].conflict or "")
    named = text.replace("non-zero return code", "non-zero return code\n+ dnf -y install exporter")
    conflicts = [
        c.conflict or "" for c in kb.profiles.decide(named, "ansible.builtin.shell", kb.neighbours(named)).candidates
    ]
    assert conflicts and not any("names no package manager" in c for c in conflicts)


def test_ansible_wrapper_lines_are_not_evidence(kb: MemoryKb) -> None:
    # "non-zero return code" is shared by every command failure: it must not make an unrelated text look close.
    bare = "Failed to set time: Automatic time synchronization is enabled"
    wrapped = "non-zero return code\n" + bare
    candidates = list(dict.fromkeys(kb.neighbours(bare) + kb.neighbours(wrapped)))
    one = {c.slug: c for c in kb.profiles.decide(bare, None, candidates).candidates}
    two = {c.slug: c for c in kb.profiles.decide(wrapped, None, candidates).candidates}
    assert one.keys() == two.keys() and len(one) >= 3
    assert all((one[s].score, one[s].char, one[s].word) == (two[s].score, two[s].char, two[s].word) for s in one)


def test_profiles_derive_key_terms_from_entries_without_extra_fields() -> None:
    rows = [
        {"slug": "a", "title": "dnf lock held", "patterns": [r"dnf lockfile is held by \S+"], "samples": {}},
        {"slug": "b", "title": "apt lock held", "patterns": [r"Could not get lock /var/lib/dpkg/"], "samples": {}},
    ]
    p = Profiles.build(rows)
    assert p.by_slug["a"].family == "rpm" and p.by_slug["b"].family == "deb"
    assert "lockfil" in p.by_slug["a"].vocab and p.idf("lockfil") > p.idf("lock")  # stemmed


def test_parse_pick_takes_one_candidate_only() -> None:
    assert parse_pick("The answer is `apt-dpkg-lock-held`.", ["apt-dpkg-lock-held", "dnf-rpmdb-lock"]) == (
        "apt-dpkg-lock-held"
    )
    assert parse_pick("apt-dpkg-lock-held or dnf-rpmdb-lock", ["apt-dpkg-lock-held", "dnf-rpmdb-lock"]) is None
    assert parse_pick("something-else", ["apt-dpkg-lock-held"]) is None


class _Llm(BaseHTTPRequestHandler):
    answer = "none"
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        out = json.dumps({"choices": [{"message": {"role": "assistant", "content": type(self).answer}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def llm() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Llm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Llm.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_llm_pick_is_taken_only_when_the_entry_words_back_it(kb: MemoryKb, llm: str) -> None:
    choose = openai_chooser(llm, "sk-test", "m", 5.0)
    text = "ModuleNotFoundError: No module named 'apt_pkg'\nFailed to import the apt python bindings password=hunter2-secret"
    d = kb.profiles.decide(text, None, kb.neighbours(text))
    assert d.candidates
    _Llm.answer = "pkg-python-bindings-missing"
    pick = choose(text, d.candidates[:5])
    assert pick == "pkg-python-bindings-missing"
    sent = _Llm.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert "hunter2-secret" not in json.dumps(sent["body"])  # the failure is redacted before it leaves
    verified = kb.profiles.verify_choice(d, pick)
    assert verified is not None and verified.slug == "pkg-python-bindings-missing"
    # A pick the entry's own words do not back is refused, whatever the model says.
    unrelated = [c for c in d.candidates[:5] if c.key < fallback.LLM_KEY]
    assert unrelated and kb.profiles.verify_choice(d, unrelated[0].slug) is None
    _Llm.answer = "none"
    assert choose(text, d.candidates[:5]) is None


def test_every_entry_conflicts_with_a_step_of_a_container_image_build(kb: MemoryKb) -> None:
    err = "E: Release file for http://snapshot.debian.org/archive/debian/20240101T000000Z/dists/bookworm/InRelease is"
    err += " expired (invalid since 1y 3d). Updates for this repository will not be applied."
    text = "non-zero return code\n" + err + "\nThe command '/bin/sh -c apt-get update' returned a non-zero code: 100"
    d = kb.profiles.decide(text, "ansible.builtin.shell", kb.neighbours(text))
    assert d.candidates and all(
        c.conflict == "the command ran in a container image build, not on the host" for c in d.candidates
    )
    assert d.answer is None
    plain = "non-zero return code\n" + err
    d = kb.profiles.decide(plain, "ansible.builtin.shell", kb.neighbours(plain))
    assert any(c.conflict is None for c in d.candidates)


def test_a_second_factor_conflicts_with_every_connection_entry(kb: MemoryKb) -> None:
    """ssh got past the key and the server asked for a one-time code: no ssh entry is the fix, so the fallback
    answers none of them (what is left of the text, "Failed to connect to the host via ssh", is any ssh entry's)."""
    text = "Failed to connect to the host via ssh: (svc@10.1.2.3) Verification code: \nsvc@10.1.2.3: Permission denied (keyboard-interactive)."
    reading = kb.kb.read(text, "ansible.builtin.setup")
    assert reading.match is None
    d = kb.profiles.decide(reading.text, "ansible.builtin.setup", kb.neighbours(reading.text))
    ssh = [c for c in d.candidates if c.slug.startswith("ssh-")]
    assert ssh and all(c.conflict and "second factor" in c.conflict for c in ssh)
    assert d.answer is None

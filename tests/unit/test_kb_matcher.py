"""Exact matching: the seed KB's samples, the specificity rule, RE2 safety."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.errors import InvalidPattern, SampleMismatch
from kb.analysis.matcher import CompiledKb, literal_weight, validate_pattern
from kb.entries import check_samples
from kb.models import CONNECTION_CATEGORIES, INTERPRETER_CATEGORIES, EntryIn
from kb.store.seedfile import load_file

SEED = Path(__file__).resolve().parents[2] / "kb" / "seed.yaml"
_, ENTRIES = load_file(SEED)
WRAPPERS = {e["slug"] for e in ENTRIES if e.get("wrapper")}
CONNECTION = {e["slug"] for e in ENTRIES if e["category"] in CONNECTION_CATEGORIES}
KB = CompiledKb.from_entries(ENTRIES)


def test_every_entry_has_samples_and_valid_fields():
    for e in ENTRIES:
        entry = EntryIn.model_validate(e)
        assert entry.samples.match, f"{entry.slug} has no match sample"
        assert entry.samples.no_match, f"{entry.slug} has no no_match sample"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["slug"])
def test_samples_match_their_entry_and_no_other(entry):
    """A sample matches its own entry and no other, except wrapper entries it outranks (a cause's text may
    hold the wrapper line that reported it: a /boot-full sample shows the kernel scriptlet that failed)."""
    for text in entry["samples"]["match"]:
        others = set(KB.slugs_matching(text)) - {entry["slug"]}
        assert entry["slug"] in KB.slugs_matching(text), text[:200]
        assert others <= WRAPPERS and (not others or entry["slug"] not in WRAPPERS), (others, text[:200])
        assert KB.match(text).slug == entry["slug"]
    for text in entry["samples"]["no_match"]:
        assert entry["slug"] not in KB.slugs_matching(text), text[:200]


def test_match_zero_is_a_typical_message_that_matches_alone():
    for e in ENTRIES:
        first = e["samples"]["match"][0]
        assert KB.match(first).slug == e["slug"]
        assert len(first) < 4000


def test_a_cause_beats_a_wrapper_whatever_the_weights():
    entries = [
        ("rpm-scriptlet", [r"Error in \S+ scriptlet in rpm package \S+ with a long literal tail"], []),
        ("oom", ["Cannot allocate memory"], []),
    ]
    text = "Couldn't fork %post(x): Cannot allocate memory\nError in POSTIN scriptlet in rpm package x with a long literal tail"
    assert CompiledKb.build(entries).match(text).slug == "rpm-scriptlet"  # without the flag, weight decides
    marked = CompiledKb.build(entries, wrappers={"rpm-scriptlet"})
    assert marked.match(text).slug == "oom"
    assert marked.match("Error in POSTIN scriptlet in rpm package x with a long literal tail").slug == "rpm-scriptlet"


def test_seed_wrappers_are_validated_entries_and_lose_to_causes():
    assert {"kernel-install-scripts-failed", "dpkg-maintainer-script-failed"} <= WRAPPERS
    assert all(EntryIn.model_validate(e).wrapper for e in ENTRIES if e["slug"] in WRAPPERS)
    with pytest.raises(ValueError):
        EntryIn.model_validate({**ENTRIES[0], "wrapper": "sometimes"})


def test_a_connection_entry_never_answers_a_command_that_ran():
    """Ansible's ssh login failing is UNREACHABLE; a command that ran and exited non-zero got past it, so its own
    git/rsync/scp refused by another server is not a connection entry's cause (it may be nothing the KB knows)."""
    unreachable = "Failed to connect to the host via ssh: patch@10.1.2.3: Permission denied (publickey,password)."
    own_git = "non-zero return code\ngit@git.example.com: Permission denied (publickey).\nfatal: Could not read"
    raw = CompiledKb.build(((e["slug"], e["patterns"], e.get("modules", [])) for e in ENTRIES), wrappers=WRAPPERS)
    assert raw.match(own_git).slug == "ssh-auth-publickey"  # without the rule
    assert KB.match(own_git) is None and KB.slugs_matching(own_git) == []
    assert KB.match(unreachable).slug == "ssh-auth-publickey"
    # Only connection entries step back: a cause the command itself reports still answers.
    apt = "non-zero return code\nE: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (apt)"
    assert KB.match(apt).slug == "apt-dpkg-lock-held"
    assert {e["slug"] for e in ENTRIES if e["slug"].startswith("ssh-")} == CONNECTION


def test_a_connection_entry_never_answers_a_module_that_ran_and_failed_by_itself():
    """The git module's own fetch refused by the git server ran on the host: Ansible got in. Without Ansible's own
    connection words ("Failed to connect to the host via ssh") a connection entry does not answer; a module that
    connects (reboot, wait_for_connection) or Ansible's words keep it."""
    git = (
        "Failed to download remote objects and refs:  git@gitlab.example: Permission denied (publickey).\r\n"
        "fatal: Could not read from remote repository."
    )
    assert KB.match(git, "ansible.builtin.git") is None and KB.match(git) is None
    bare = "patch@10.1.2.3: Permission denied (publickey)."
    assert KB.match(bare, "ansible.builtin.wait_for_connection").slug == "ssh-auth-publickey"
    unreachable = "Failed to connect to the host via ssh: patch@10.1.2.3: Permission denied (publickey)."
    assert KB.match(unreachable, "ansible.builtin.dnf").slug == "ssh-auth-publickey"


def test_an_interpreter_entry_never_answers_a_command_that_ran():
    """A command that ran and printed a Python traceback failed in its own Python (a broken /usr/bin/dnf, an apt
    hook script): installing bindings for Ansible's interpreter or setting ansible_python_interpreter does not fix
    it. The same words from a package module are the interpreter's."""
    cli = (
        'non-zero return code\nTraceback (most recent call last):\n  File "/usr/bin/dnf", line 61, in <module>\n'
        "    from dnf.cli import main\nModuleNotFoundError: No module named 'dnf'"
    )
    raw = CompiledKb.build(((e["slug"], e["patterns"], e.get("modules", [])) for e in ENTRIES), wrappers=WRAPPERS)
    assert raw.match(cli).slug == "pkg-python-bindings-missing"  # without the rule
    assert KB.match(cli, "ansible.builtin.command") is None and KB.slugs_matching(cli) == []
    module = "MODULE FAILURE\nSee stdout/stderr for the exact error\nModuleNotFoundError: No module named 'dnf'"
    assert KB.match(module, "ansible.builtin.dnf").slug == "pkg-python-bindings-missing"
    interpreter = {e["slug"] for e in ENTRIES if e["category"] in INTERPRETER_CATEGORIES}
    assert {"python-interpreter-missing", "pkg-python-bindings-missing"} <= interpreter


def test_an_entry_meant_for_the_failing_module_beats_one_meant_for_others():
    """A service that will not start inside an apt upgrade's postinst: the maintainer-script entry (a wrapper,
    meant for apt) answers, not the entry written for a service task, also in a shell task whose text shows dpkg's
    run; in a service task, the service entry."""
    text = (
        "Setting up nginx-core (1.24.0-2ubuntu7.1) ...\nJob for nginx.service failed because the control process "
        "exited with error code.\ndpkg: error processing package nginx-core (--configure):\n installed nginx-core "
        "package post-installation script subprocess returned error exit status 1"
    )
    both = set(KB.slugs_matching(text))
    assert {"dpkg-maintainer-script-failed", "systemd-service-start-failed"} <= both
    assert KB.match(text, "ansible.builtin.apt").slug == "dpkg-maintainer-script-failed"
    assert KB.match(text, "ansible.builtin.shell").slug == "dpkg-maintainer-script-failed"
    assert KB.match(text, "ansible.builtin.systemd").slug == "systemd-service-start-failed"
    assert KB.match(text).slug == "systemd-service-start-failed"  # no module known: cause first


def test_every_entry_fits_a_task_that_runs_a_command():
    """A shell or command task can run any tool: an entry listing only the package modules still fits it, so
    the rule for wrappers decides, not the module list (apt's broken sources list beats "Unable to locate")."""
    text = (
        "non-zero return code\nE: Malformed entry 3 in list file /etc/apt/sources.list.d/vendor.list (Component)\n"
        "E: The list of sources could not be read.\nE: Unable to locate package vendor-agent"
    )
    entry = CompiledKb.build([("only-apt", ["Malformed entry"], ["ansible.builtin.apt"])])
    assert all(entry.patterns[0].fits(f"ansible.builtin.{m}") for m in ("command", "shell", "raw", "script", "apt"))
    assert not entry.patterns[0].fits("ansible.builtin.dnf")
    for module in ("ansible.builtin.command", "ansible.builtin.shell", "ansible.builtin.apt"):
        assert KB.match(text, module).slug == "apt-sources-list-invalid"


def test_a_repository_network_entry_needs_a_package_manager_or_repository_in_sight():
    git = "non-zero return code\nfatal: unable to access 'https://git.example.com/ops/hooks.git/': SSL certificate "
    git += "problem: unable to get local issuer certificate"
    pip = "Could not fetch URL https://pypi.org/simple/requests/: ProxyError('Cannot connect to proxy.', "
    pip += "OSError('Tunnel connection failed: 407 Proxy Authentication Required'))"
    raw = CompiledKb.build(((e["slug"], e["patterns"], e.get("modules", [])) for e in ENTRIES), wrappers=WRAPPERS)
    assert raw.match(git).slug == "repo-ssl-certificate-error" and raw.match(pip).slug == "repo-proxy-error"
    assert KB.match(git) is None and KB.match(pip, "ansible.builtin.pip") is None
    # The same words from a package manager, or in a package task, are the repository's.
    assert KB.match(git.replace("ops/hooks.git/", "repo/el9/repodata/repomd.xml")).slug == "repo-ssl-certificate-error"
    assert KB.match(pip, "ansible.builtin.dnf").slug == "repo-proxy-error"
    # pip naming itself and its packages is still pip's proxy, unless a system package manager is named too.
    named = f"non-zero return code\n{pip}\nERROR: Could not install packages (pip 23.3.1): no matching distribution"
    assert KB.match(named, "ansible.builtin.shell") is None
    assert KB.match(named.replace("(pip 23.3.1)", "(dnf install python3-pip first)")).slug == "repo-proxy-error"


def test_matching_is_case_insensitive():
    assert KB.match("MISSING SUDO PASSWORD").slug == "become-password-missing"


def test_most_specific_pattern_wins_then_module_then_slug():
    kb = CompiledKb.build(
        [
            ("b-generic", ["No space left on device"], []),
            ("a-specific", [r"No space left on device: '/var/cache/dnf"], []),
        ]
    )
    assert kb.match("Error: [Errno 28] No space left on device: '/var/cache/dnf/x'").slug == "a-specific"
    tie = CompiledKb.build([("a-apt", ["lock held"], ["ansible.builtin.apt"]), ("b-dnf", ["lock held"], ["dnf"])])
    assert tie.match("the lock held", module="dnf").slug == "b-dnf"
    assert tie.match("the lock held", module=None).slug == "a-apt"


def test_literal_weight_ignores_classes_and_counts_escaped_punctuation():
    assert literal_weight(r"\d+[KM]B") == 1
    assert literal_weight(r"Curl error \(6\)") == 14
    assert literal_weight(r"(?i)abc") == 3


def test_invalid_pattern_is_refused_with_re2_message():
    with pytest.raises(InvalidPattern, match="missing \\)"):
        validate_pattern("(unclosed")
    with pytest.raises(InvalidPattern):
        CompiledKb.build([("x", ["a{2,1}"], [])])
    with pytest.raises(InvalidPattern):
        validate_pattern("(?<=look)behind")  # RE2 has no lookbehind


def test_catastrophic_pattern_does_not_hang():
    # RE2 runs in linear time, so a pattern that backtracks exponentially in Python's re answers here at once;
    # the assertion is on the answers (a hang would stop the suite), not on a wall-time limit that flakes.
    kb = CompiledKb.build([("evil", ["(a+)+$"], [])])
    assert kb.match("a" * 200_000 + "!") is None
    assert kb.match("b" * 10 + "aaa").slug == "evil"


def test_saving_checks_samples():
    entry = EntryIn(
        slug="x-y",
        title="Test entry",
        category="other",
        patterns=["boom"],
        solution="1. fix",
        samples={"match": ["a boom here"], "no_match": ["quiet"]},
    )
    check_samples(entry)
    with pytest.raises(SampleMismatch):
        check_samples(EntryIn.model_validate(entry.model_dump() | {"samples": {"match": ["nothing"]}}))
    with pytest.raises(SampleMismatch):
        check_samples(
            EntryIn.model_validate(entry.model_dump() | {"samples": {"match": ["boom"], "no_match": ["boom 2"]}})
        )


def test_seed_header_and_structure_kept_from_shared_seed():
    text = SEED.read_text()
    assert text.startswith("# patchpilot seed knowledge base")
    data = yaml.safe_load(text)
    assert len(data) >= 40 and len({e["slug"] for e in data}) == len(data)


def test_only_the_part_after_a_finished_package_run_is_read_when_the_next_command_is_traced():
    """yum waited for a lock, then finished ("Complete!"); the shell script's next command failed: that is the
    failure, not the lock the tool got past. Without a traced command nothing is cut (stdout and stderr are
    shown one after the other, so the order of the text is not the order of events)."""
    ran = (
        "non-zero return code\nLoaded plugins: product-id\nExisting lock /var/run/yum.pid: another copy is running"
        " as pid 8812.\nAnother app is currently holding the yum lock; waiting for it to exit...\n"
        "Updated:\n  tzdata.noarch 0:2024b-2.el7\n\nComplete!\n"
    )
    after = "+ /opt/app/post-check.sh\npost-check: listener not running"
    assert KB.read(ran + after, "ansible.builtin.shell").match is None
    assert KB.read(ran + after, "ansible.builtin.shell").text.startswith("non-zero return code\n+ /opt/app")
    assert KB.read(ran + after.replace("+ ", ""), "ansible.builtin.shell").match.slug == "dnf-rpmdb-lock"
    # apt: the last "Setting up" is the end of the run only when no dpkg or apt error follows it.
    apt = "non-zero return code\nSetting up nginx (1.24) ...\nProcessing triggers for man-db (2.12) ...\n"
    failed = (
        apt
        + "Errors were encountered while processing:\n nginx\nE: Sub-process /usr/bin/dpkg returned an error code (1)"
    )
    assert KB.read(failed + "\n+ nginx -t", "ansible.builtin.shell").text.startswith(apt)


def test_a_mirror_retried_in_a_run_that_finished_is_not_the_failure():
    retried = (
        "non-zero return code\n(1/2): a-1.0-1.el9.x86_64.rpm  1.8 MB/s\n[MIRROR] b-2.0-1.el9.x86_64.rpm: Curl error (28):"
        " Timeout was reached for https://mirror.example.net/el9/Packages/b-2.0-1.el9.x86_64.rpm [Operation too slow]\n"
        "(2/2): b-2.0-1.el9.x86_64.rpm  2.1 MB/s\nComplete!\n== smoke test ==\nGET /health -> HTTP 500"
    )
    assert KB.read(retried, "ansible.builtin.shell").match is None
    failed = retried.replace(
        "Complete!", "Error: Error downloading packages:\n  b: Curl error (28): Timeout was reached"
    )
    assert KB.read(failed, "ansible.builtin.shell").match.slug == "repo-connection-timeout"


def test_what_a_traced_script_ran_past_is_not_its_failure():
    """set -x traces each command before it runs; the script went on past the earlier ones, so the task failed on
    the last one traced. Its own output is read; an earlier command's is not, nor a package manager's name in its
    trace line (the repository entries need package context), nor apt's warnings once the script ran past apt."""
    service = (
        "non-zero return code\n+ systemctl restart acme-worker\nJob for acme-worker.service failed because the control"
        ' process exited with error code.\nSee "systemctl status acme-worker.service" for details.\n+ sleep 5\n'
        "+ systemctl restart acme-worker\n+ /opt/acme/bin/smoke\n2 failed, 16 passed"
    )
    assert KB.read(service, "ansible.builtin.shell").match is None
    # The same output ending on the failed restart, or on `exit 1` after it, is the service's failure.
    ends_on_restart = (
        "non-zero return code\n+ /opt/acme/bin/smoke\n16 passed\n" + service[21 : service.index("+ sleep")]
    )
    assert KB.read(ends_on_restart, "ansible.builtin.shell").match.slug == "systemd-service-start-failed"
    for last in ("+ exit 1", "+ echo 'restart failed'", "+ rc=1"):
        failed = service.replace("+ /opt/acme/bin/smoke\n2 failed, 16 passed", last)
        assert KB.read(failed, "ansible.builtin.shell").match.slug == "systemd-service-start-failed", last
    # bash writes its trace to stderr, which Ansible's result shows before stdout.
    proxy = (
        "non-zero return code\n+ dnf -q -y upgrade\n+ pip install -U acme-cli\nWARNING: Retrying after connection "
        "broken by 'ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: 407 Proxy "
        "Authentication Required'))': /simple/acme-cli/\nERROR: No matching distribution found for acme-cli"
    )
    assert KB.read(proxy, "ansible.builtin.shell").match is None
    assert KB.read(proxy.replace("+ pip install -U acme-cli", "+ dnf -y install acme-cli"), "shell").match
    apt = (
        "non-zero return code\n+ apt-get update\n+ /usr/local/sbin/check_cluster.sh\nW: GPG error: "
        "https://packages.example.com/apt stable InRelease: The following signatures couldn't be verified because "
        "the public key is not available: NO_PUBKEY C0BA5CE6DC6315A3\nERROR: node not in quorum"
    )
    assert KB.read(apt, "ansible.builtin.shell").match is None
    last_apt = apt.replace("+ /usr/local/sbin/check_cluster.sh\n", "")
    assert KB.read(last_apt, "ansible.builtin.shell").match.slug == "apt-gpg-key-missing-or-expired"


def test_a_traced_script_failed_on_its_last_command_that_did_something_not_on_its_reports():
    """The reporting steps a script runs after the command that failed ("+ echo ...", "+ exit 3", a test, a look at
    the state with ls, df or dmesg) do not hide which command that was: a lock the script waited out, then a
    health check that failed, is the health check's failure."""
    lock = (
        "non-zero return code\n+ apt-get -y upgrade\nE: Could not get lock /var/lib/dpkg/lock-frontend. It is held by "
        "process 2210 (unattended-upgr)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is "
        "another process using it?\n+ sleep 120\n+ apt-get -y upgrade\n0 upgraded, 0 newly installed, 0 to remove and"
        " 0 not upgraded.\n+ curl -fsS http://127.0.0.1:8080/health\ncurl: (22) The requested URL returned error: 503"
        "\n+ echo 'health check failed'\nhealth check failed\n+ exit 1"
    )
    assert KB.read(lock, "ansible.builtin.shell").match is None
    # Without the health check the lock is the failure, whatever the script reported after it.
    no_check = lock[: lock.index("+ sleep")] + "+ echo 'apt failed'\napt failed\n+ exit 1"
    assert KB.read(no_check, "ansible.builtin.shell").match.slug == "apt-dpkg-lock-held"
    # A cleanup that printed nothing, or a look at the state, leaves the failing command where it was.
    for after in ("+ rm -f /run/patch.lock\n+ exit 1", "+ df -h /var\n/dev/sda3  20G  9G  11G  45% /var\n+ exit 1"):
        assert KB.read(no_check.replace("+ echo 'apt failed'\napt failed\n+ exit 1", after), "shell").match, after


def test_a_mirror_retry_before_the_downloads_arrived_is_not_the_failure():
    """librepo's "[MIRROR]" line is one mirror failing before the next served the file: once dnf printed its
    download total and checked the transaction, what failed came after (here the OOM killer)."""
    text = (
        "non-zero return code\nDownloading Packages:\n[MIRROR] glibc-2.34-125.el9_5.8.x86_64.rpm: Curl error (28): "
        "Timeout was reached for https://mirror.example.net/glibc-2.34-125.el9_5.8.x86_64.rpm\n(187/412): "
        "glibc-2.34-125.el9_5.8.x86_64.rpm   1.1 MB/s | 2.0 MB  00:01\n----\nTotal    9.8 MB/s | 611 MB  01:02\n"
        "Running transaction check\n/bin/sh: line 1:  4127 Killed                  dnf -y upgrade"
    )
    assert KB.read(text, "ansible.builtin.shell").match.slug == "host-out-of-memory"
    stopped = text[: text.index("(187/412)")] + "Error: Error downloading packages:\n  Cannot download glibc"
    assert KB.read(stopped, "ansible.builtin.shell").match.slug == "repo-connection-timeout"


def test_apt_failed_on_its_error_line_not_on_a_warning_it_got_past():
    """apt exits non-zero for its "E:" lines only; an entry matched only on a "W:" or "N:" line does not answer
    when another matches the error. Alone, a warning still answers (Ansible's apt module fails on some)."""
    update = (
        "non-zero return code\nErr:4 http://ppa.example.org/ubuntu xenial Release\n  404  Not Found\n"
        "W: GPG error: http://vendor.example.com/apt xenial InRelease: The following signatures couldn't be verified "
        "because the public key is not available: NO_PUBKEY 7EA0A9C3F273FCD8\n"
    )
    release = "E: The repository 'http://ppa.example.org/ubuntu xenial Release' does not have a Release file."
    assert KB.match(update + release, "ansible.builtin.command").slug == "repo-not-found-404"
    assert KB.match(update, "ansible.builtin.command").slug == "apt-gpg-key-missing-or-expired"
    dns = (
        "non-zero return code\nW: Failed to fetch http://ppa.example.net/ubuntu/dists/jammy/InRelease  Temporary "
        "failure resolving 'ppa.example.net'\nW: Some index files failed to download. They have been ignored, or old "
        "ones used instead.\n"
    )
    interrupted = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem."
    assert KB.match(dns + interrupted, "ansible.builtin.shell").slug == "dpkg-interrupted"
    assert KB.match(dns, "ansible.builtin.shell").slug == "repo-dns-resolution-failed"


def test_a_lock_waited_for_is_not_the_failure_once_the_transaction_ran():
    """dnf and yum wait until another process frees the lock; once their transaction ran, what failed is in it."""
    waited = (
        "non-zero return code\nTotal download size: 18 M\nWaiting for process with pid 4418 to finish.\n"
        "Downloading Packages:\nRunning transaction check\nRunning transaction\n"
        "  Running scriptlet: acme-agent-4.2.1-1.el9.x86_64    1/2\n"
        "error: %post(acme-agent-4.2.1-1.el9.x86_64) scriptlet failed, exit status 127\n"
    )
    assert KB.read(waited, "ansible.builtin.command").match.slug == "rpm-scriptlet-failed"
    stuck = waited[: waited.index("Downloading")] + "FAILED - RETRYING: timed out waiting"
    assert KB.read(stuck, "ansible.builtin.command").match.slug == "dnf-rpmdb-lock"
    # yum check-update exits 100 when updates are available: it listed them, so it had the lock.
    listed = (
        "non-zero return code\nExisting lock /var/run/yum.pid: another copy is running as pid 3123.\nAnother app is "
        "currently holding the yum lock; waiting for it to exit...\n  The other application is: yum\n\n"
        "openssl.x86_64                    1:1.0.2k-26.el7_9              rhel-7-server-rpms\nrc: 100"
    )
    assert KB.read(listed, "ansible.builtin.command").match is None
    assert KB.read(listed[: listed.index("openssl")], "ansible.builtin.command").match.slug == "dnf-rpmdb-lock"


def test_a_service_failing_in_a_package_run_of_a_command_line_is_the_maintainer_scripts():
    """As in an apt task (rule 1), a service that will not start inside the postinst of a package that a shell
    task's apt-get installs is fixed by the maintainer-script entry (fix the service, then finish dpkg)."""
    run = (
        "non-zero return code\nSetting up php8.2-fpm (8.2.26-1~deb12u1) ...\nJob for php8.2-fpm.service failed "
        'because the control process exited with error code.\ninvoke-rc.d: initscript php8.2-fpm, action "restart" '
        "failed.\ndpkg: error processing package php8.2-fpm (--configure):\n installed php8.2-fpm package "
        "post-installation script subprocess returned error exit status 1\nE: Sub-process /usr/bin/dpkg returned an "
        "error code (1)"
    )
    assert KB.match(run, "ansible.builtin.shell").slug == "dpkg-maintainer-script-failed"
    assert KB.match(run, "ansible.builtin.apt").slug == "dpkg-maintainer-script-failed"
    # A service task, or a command line that ran no package manager, is the service's own failure.
    restart = (
        "non-zero return code\nJob for php8.2-fpm.service failed because the control process exited with error code."
    )
    assert KB.match(restart, "ansible.builtin.shell").slug == "systemd-service-start-failed"


def test_a_translated_cause_beside_an_english_symptom_is_read_in_english():
    """systemd's "Job for ... failed" stays English on a German host while dpkg's lines are translated: the
    untranslated text matches only the service entry, which does not fit a package run; read in English, the
    maintainer-script entry (fix the service, then finish dpkg) answers. dpkg's German is its catalogue's."""
    text = (
        "non-zero return code\nnginx-core (1.24.0-2ubuntu7.1) wird eingerichtet ...\nJob for nginx.service failed "
        "because the control process exited with error code.\ndpkg: Fehler beim Bearbeiten des Paketes nginx-core "
        "(--configure):\n »installiertes post-installation-Skript des Paketes nginx-core«-Unterprozess gab den "
        "Fehlerwert 1 zurück\nE: Sub-process /usr/bin/dpkg returned an error code (1)"
    )
    read = KB.read(text, "ansible.builtin.shell")
    assert read.match.slug == "dpkg-maintainer-script-failed" and read.match.via == "translated (de)"
    assert read.langs == ("de",)
    # A match that fits needs no translation: the service task's own failure.
    restart = "Unable to restart service nginx: Job for nginx.service failed because the control process exited"
    assert KB.read(restart + " with error code.", "ansible.builtin.service").langs == ()


def test_the_not_registered_notice_of_a_run_that_found_its_repositories_is_not_the_failure():
    """subscription-manager's plugin prints its notice on every yum/dnf run of an unregistered host; a run that
    then listed updates from its repositories (check-update exits 100) was not stopped by it."""
    notice = (
        "non-zero return code\nLoaded plugins: fastestmirror, product-id, subscription-manager\n\nThis system is not "
        "registered with an entitlement server. You can use subscription-manager to register.\n\n"
    )
    listed = notice + "bash.x86_64                     4.2.46-35.el7_9                 updates\n"
    assert KB.read(listed, "ansible.builtin.command").match is None
    assert KB.read(notice + "Error: There are no enabled repos.", "ansible.builtin.command").match.slug == (
        "rhel-not-registered"
    )


@pytest.mark.parametrize(
    "build",
    [
        '#7 [3/5] RUN apt-get update && apt-get install -y libcudnn9\n#7 5.1 {err}\n#7 ERROR: process "/bin/sh -c apt-get'
        ' update && apt-get install -y libcudnn9" did not complete successfully: exit code: 100\nERROR: failed to solve:'
        ' process "/bin/sh -c apt-get update && apt-get install -y libcudnn9" did not complete successfully',
        "Step 3/6 : RUN apt-get install -y libcudnn9\n{err}\nThe command '/bin/sh -c apt-get install -y libcudnn9' "
        "returned a non-zero code: 100",
        'STEP 2/4: RUN apt-get install -y libcudnn9\n{err}\nError: building at STEP "RUN apt-get install -y libcudnn9": '
        "while running runtime: exit status 100",
    ],
)
def test_no_entry_answers_a_step_of_a_container_image_build(build: str) -> None:
    """A Dockerfile's RUN ran in the image being built: the host's holds, keys or repositories are not the fix."""
    err = "E: Held packages were changed and -y was used without --allow-change-held-packages."
    on_host = "non-zero return code\n" + err
    assert KB.match(on_host, "ansible.builtin.shell").slug == "apt-held-packages"
    text = "non-zero return code\n" + build.format(err=err)
    assert KB.slugs_matching(text, "ansible.builtin.shell") == []
    assert KB.read(text, "ansible.builtin.shell").match is None


def test_apts_cache_out_of_room_is_not_damaged_lists():
    """apt gives up building its cache when APT::Cache-Start is too small and then reports the list it was reading:
    the lists are fine (three dev writers label it null: raising the cache size is in no entry)."""
    merge = (
        "E: Problem with MergeList /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
    )
    tail = "\nE: The package lists or status file could not be parsed or opened."
    assert KB.read("non-zero return code\n" + merge + tail, "ansible.builtin.command").match.slug == "apt-lists-corrupt"
    full = "E: Dynamic MMap ran out of room. Please increase the size of APT::Cache-Start. Current value: 25165824."
    text = "non-zero return code\nReading package lists...\n" + full + " (man 5 apt.conf)\n" + merge + tail
    assert KB.read(text, "ansible.builtin.command").match is None
    one_line = "Failed to update apt cache: E:Dynamic MMap ran out of room, E:" + merge[3:]
    assert KB.read(one_line, "ansible.builtin.apt").match is None


@pytest.mark.parametrize(
    "reason",
    [
        "Authentication service cannot retrieve authentication info",  # sssd or LDAP down
        "User not known to the underlying authentication module",  # the account is in no NSS source
    ],
)
def test_sudos_pam_error_is_the_cause_not_the_missing_password(reason: str) -> None:
    """sudo logs "PAM account management error: %s" when pam_acct_mgmt fails and, non-interactive, then says a
    password is required (plugins/sudoers/auth/pam.c): supplying a become password would not fix the PAM stack."""
    missing = "MODULE FAILURE\nSee stdout/stderr for the exact error\nsudo: a password is required\n"
    assert KB.read(missing, "ansible.builtin.dnf").match.slug == "become-password-missing"
    text = (
        "MODULE FAILURE\nSee stdout/stderr for the exact error\n"
        f"sudo: PAM account management error: {reason}\nsudo: a password is required\n"
    )
    assert KB.read(text, "ansible.builtin.dnf").match is None


def test_dnfs_modular_warning_is_the_cause_only_of_a_package_it_names():
    """dnf prints "Modular dependency problems:" as a warning on any run while a module's dependencies are broken
    (dnf/module/module_base.py); it hides that module's packages. So it answers for a package it names that the
    run could not find, and is not read at all beside another failure (its "conflicting requests" is no depsolve)."""
    warning = (
        "Modular dependency problems:\n\n Problem 1: conflicting requests\n"
        "  - nothing provides module(perl:5.26) needed by module perl-DBI:1.641:8010020191113222731:16b3ab4d.x86_64\n"
    )
    named = "non-zero return code\n" + warning + "Error: Unable to find a match: perl-DBI"
    assert KB.read(named, "ansible.builtin.command").match.slug == "dnf-modular-filtering"
    other = "non-zero return code\n" + warning + "Error: Unable to find a match: nginx-mod-http-geoip2"
    assert KB.read(other, "ansible.builtin.command").match.slug == "package-not-available"
    app = "non-zero return code\n" + warning + "Dependencies resolved.\nNothing to do.\nComplete!\nreport.sh: CMDB down"
    assert KB.read(app, "ansible.builtin.shell").match is None


def test_ssh_denial_after_partial_success_is_a_second_factor_not_the_key():
    """OpenSSH accepted the key ("Authenticated using "publickey" with partial success.", sshconnect2.c) and the
    server wants a one-time code too: the key entry's fix (authorize the key) is not the fix."""
    denied = "Failed to connect to the host via ssh: patch@10.1.2.3: Permission denied (keyboard-interactive)."
    assert KB.read(denied, "ansible.builtin.setup").match.slug == "ssh-auth-publickey"
    partial = 'Failed to connect to the host via ssh: Authenticated using "publickey" with partial success.\n'
    assert KB.read(partial + denied[39:], "ansible.builtin.setup").match is None


def test_a_jump_hosts_refused_forward_is_not_the_targets_closed_session():
    """Through a jump host, "stdio forwarding failed" (ssh.c) ends what ssh says: the jump host's "open failed"
    reason before it is the cause; the target's "kex_exchange_identification: Connection closed" after it is not."""
    closed = "kex_exchange_identification: Connection closed by remote host\nConnection closed by UNKNOWN port 65535"
    assert KB.read("Failed to connect to the host via ssh: " + closed, "ansible.builtin.setup").match.slug == (
        "ssh-kex-connection-closed"
    )
    prohibited = "channel 0: open failed: administratively prohibited: open failed\nstdio forwarding failed\n"
    assert (
        KB.read("Failed to connect to the host via ssh: " + prohibited + closed, "ansible.builtin.setup").match is None
    )


def test_ansibles_temp_dir_message_wraps_the_connections_cause():
    """ "Failed to create temporary directory" is Ansible's own connection reporting the command it ran over ssh:
    when its output names the account's cause (an expired password), that entry's fix is the fix."""
    tmp = (
        "Failed to create temporary directory. In some cases, you may have been able to authenticate and did not have"
        " permissions on the target directory. Consider changing the remote tmp path in ansible.cfg to a path rooted in"
        ' "/tmp", for more error information use -vvv. Failed command was: ( umask 77 && mkdir -p "` echo'
        ' ~/.ansible/tmp `" ), exited with result 1'
    )
    assert KB.read(tmp, None).match.slug == "ansible-remote-tmp-failed"
    expired = (
        tmp + ", stderr output: WARNING: Your password has expired.\nPassword change required but no TTY available."
    )
    assert KB.read(expired, None).match.slug == "ssh-password-expired"
    assert KB.read(expired, "ansible.builtin.setup").match.slug == "ssh-password-expired"


def test_a_one_time_code_prompt_is_a_second_factor_not_the_key():
    """keyboard-interactive asking "(user@host) Verification code:" is a second factor: no entry's fix applies, and
    the fallback does not offer another ssh entry for what is left of the text."""
    text = "Failed to connect to the host via ssh: (svc@10.1.2.3) Verification code: \nsvc@10.1.2.3: Permission denied (keyboard-interactive)."
    assert KB.read(text, "ansible.builtin.setup").match is None


def test_a_service_that_failed_to_start_yields_to_the_cause_its_journal_names():
    """A unit's "Job for X failed" is the symptom; the journal lines after it name the cause (a read-only disk, the
    OOM killer). Another unit's state (masked) is not its cause, so it still answers beside it."""
    job = (
        "Unable to restart service app: Job for app.service failed because the control process exited with error code.\n"
        'See "systemctl status app.service" and "journalctl -xeu app.service" for details.\n'
    )
    assert KB.read(job, "ansible.builtin.systemd").match.slug == "systemd-service-start-failed"
    ro = job + "kernel: EXT4-fs (dm-3): Remounting filesystem read-only\n"
    ro += 'app[1822]: open() "/var/log/app/error.log" failed (30: Read-only file system)'
    assert KB.read(ro, "ansible.builtin.systemd").match.slug == "readonly-filesystem"
    masked = "non-zero return code\nUnit firewalld.service is masked.\n" + job.split(": ", 1)[1]
    assert KB.read(masked, "ansible.builtin.shell").match.slug == "systemd-service-start-failed"


def test_sudo_run_for_another_user_or_on_another_host_is_not_the_patch_users_become() -> None:
    kb = KB
    own = "non-zero return code\nrc: 1\ncmd: sudo dnf -y upgrade\nstderr:\nsudo: a password is required"
    assert kb.slugs_matching(own, "ansible.builtin.command") == ["become-password-missing"]
    for foreign in (
        "non-zero return code\nrc: 1\ncmd: su - appsvc -c 'sudo -n /usr/bin/systemctl reload appsvc'\n"
        "stderr:\nsudo: a password is required",
        "non-zero return code\nrc: 1\ncmd: /usr/local/sbin/pre-shutdown.sh\nstderr:\nsudo: sorry, you must have a tty "
        "to run sudo\npre-shutdown: could not run 'sudo -u oracle /u01/app/oracle/bin/dbshut' (rc=1)",
        "non-zero return code\nssh -o BatchMode=yes db-replica-02 sudo /usr/local/sbin/promote-check\n"
        "sudo: a password is required",
    ):
        assert kb.slugs_matching(foreign, "ansible.builtin.shell") == [], foreign
    # Ansible's own become for another user (become_user) is still the become entry's: its module never ran.
    become = "MODULE FAILURE\nSee stdout/stderr for the exact error\nmodule_stderr: sudo: a password is required"
    assert kb.slugs_matching(become, "ansible.builtin.dnf") == ["become-password-missing"]


def test_an_exception_of_ansibles_own_code_on_the_controller_is_not_the_hosts_failure():
    """The task executor wraps an exception its own code raised on the controller (lib/ansible/executor/
    task_executor.py): "[Errno 12] Cannot allocate memory" there is the controller's fork, not the host's memory."""
    controller = "Unexpected failure during module execution: [Errno 12] Cannot allocate memory"
    assert KB.read(controller, "ansible.builtin.dnf").match is None
    host = "MODULE FAILURE\nSee stdout/stderr for the exact error\nOSError: [Errno 12] Cannot allocate memory"
    assert KB.read(host, "ansible.builtin.dnf").match.slug == "host-out-of-memory"


def test_a_state_the_script_logs_as_info_is_not_the_error_it_logs_after():
    """A script's own log levels: the reboot it reports as INFO is a state; its ERROR line failed the task. The same
    words on an ERROR line, or with no ERROR line at all, are still the entry's."""
    notice = "Reboot is required to fully utilize these updates."
    info = f"non-zero return code\nrc: 2\nINFO: {notice}\nERROR: inventory upload failed: HTTP 503"
    assert KB.read(info, "ansible.builtin.shell").match is None
    alone = f"non-zero return code\nrc: 1\nINFO: {notice}"
    assert KB.read(alone, "ansible.builtin.shell").match.slug == "reboot-required-exit-code"
    error = f"non-zero return code\nrc: 1\nERROR: {notice}\nERROR: giving up"
    assert KB.read(error, "ansible.builtin.shell").match.slug == "reboot-required-exit-code"


def test_the_reboot_modules_quoted_error_names_the_cause():
    """The reboot module's "Reboot command failed. Error was: %s" quotes the command's own error: sudo refusing for
    want of a password is the become entry's; an error no other entry knows stays the reboot entry's."""
    sudo = "Reboot command failed. Error was: 'sudo: a password is required, '"
    assert KB.read(sudo, "ansible.builtin.reboot").match.slug == "become-password-missing"
    other = "Reboot command failed. Error was: 'Failed to set wall message, ignoring: Unit not found., '"
    assert KB.read(other, "ansible.builtin.reboot").match.slug == "reboot-command-failed"


def test_only_apts_own_lock_files_refused_to_a_user_mean_the_task_is_not_root():
    """apt opens its lock files under /var/lib/dpkg, /var/lib/apt/lists and /var/cache/apt/archives: an application's
    lock file refused with the same words is the application's permission problem, not apt run without root."""
    apt = "non-zero return code\nE: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)"
    assert KB.read(apt, "ansible.builtin.shell").match.slug == "become-not-root"
    lists = "E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)"
    assert KB.read(lists, "ansible.builtin.apt").match.slug == "become-not-root"
    app = "non-zero return code\nE: Could not open lock file /srv/app/run/app.lock - open (13: Permission denied)"
    assert KB.read(app, "ansible.builtin.shell").match is None


def test_dnfs_both_versions_beside_an_installed_i686_package_is_multilib():
    """libsolv's "cannot install both" in a problem with an installed .i686 package: the .i686 twin at the old version
    holds the .x86_64 update back (multilib), more than a depsolve problem of unrelated packages."""
    text = (
        "Depsolve Error occurred:\n Problem: package zlib-1.2.11-40.el9.i686 from @System requires zlib = 1.2.11-40.el9,"
        " but none of the providers can be installed\n  - cannot install both zlib-1.2.11-41.el9.x86_64 from baseos and"
        " zlib-1.2.11-40.el9.x86_64 from @System\n  - problem with installed package zlib-1.2.11-40.el9.i686"
    )
    assert KB.read(text, "ansible.builtin.dnf").match.slug == "multilib-version-conflict"
    plain = text.replace(".i686", ".x86_64")
    assert KB.read(plain, "ansible.builtin.dnf").match.slug == "dnf-depsolve-error"


def test_an_entry_another_programs_later_failure_overtook_is_set_aside():
    """A script went on past the entry's message and another program failed after it: that failure ended the task.
    The package tools' own errors, a later message of a KB entry, and a bare curl line after a scriptlet's message
    (the scriptlet's own) do not count; the answer stands."""
    said = "non-zero return code\nReboot is required to fully utilize these updates.\n"
    assert KB.read(said, "ansible.builtin.shell").match.slug == "reboot-required-exit-code"
    for later in (
        "/usr/local/sbin/notify-cmdb: curl: (7) Failed to connect to cmdb.corp.example port 443",
        "/opt/app/bin/start.sh: line 3: java: command not found",
        "psql: error: connection to server on socket failed",
        "stderr: /usr/local/bin/schedule-reboot: maintenance calendar API returned 500 Internal Server Error",
        "+ curl -fsS http://127.0.0.1:9000/ready\ncurl: (22) The requested URL returned error: 503",
    ):
        r = KB.read(said + later, "ansible.builtin.shell")
        assert r.match is None and r.aside.slug == "reboot-required-exit-code" and r.text == "", later
    for own in ("dpkg-deb: error: paste subprocess was killed by signal (Broken pipe)", "E: boom", "rc: 1"):
        assert KB.read(said + own, "ansible.builtin.shell").match.slug == "reboot-required-exit-code", own
    # A KB entry's message after it: the usual ranking decides, as without the rule.
    lock = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)"
    both = said + "x.sh: error: step 2\n" + lock
    assert KB.read(both, "ansible.builtin.shell").match == KB.read(said + lock, "ansible.builtin.shell").match
    scriptlet = (
        "non-zero return code\nwarning: %post(cloud-agent-3.1.4-1.x86_64) scriptlet failed, exit status 7\n"
        "Error in POSTIN scriptlet in rpm package cloud-agent\n"
    )
    bare = scriptlet + "curl: (7) Failed to connect to metadata.cloud.internal port 80: Connection refused"
    assert KB.read(bare, "ansible.builtin.command").match.slug == "rpm-scriptlet-failed"
    named = scriptlet + "/usr/local/bin/post.sh: curl: (7) Failed to connect to metadata port 80"
    assert KB.read(named, "ansible.builtin.command").match is None


def test_the_not_registered_notice_is_not_the_failure_of_a_run_that_read_its_repositories():
    """subscription-manager's plugin prints its notice on every run of an unregistered host; when the host's
    repositories were read anyway (from a mirror, CentOS Stream, EPEL), the run's own error is the failure."""
    notice = (
        "non-zero return code\nUpdating Subscription Management repositories.\nUnable to read consumer identity\n\n"
        "This system is not registered with an entitlement server. You can use subscription-manager to register.\n\n"
    )
    missing = "Error: Unable to find a match: mysql-community-server"
    for read in (
        "CentOS Stream 9 - BaseOS  12 MB/s | 8.3 MB  00:00\n",
        "Last metadata expiration check: 0:12:41 ago on Sat 05 Dec 2026 02:03:11 AM UTC.\n",
    ):
        got = KB.read(notice + read + missing, "ansible.builtin.command").match
        assert got is not None and got.slug == "package-not-available", read
    none = 'Error: There are no enabled repositories in "/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d".'
    assert KB.read(notice + none, "ansible.builtin.command").match.slug == "rhel-not-registered"

"""The KB's blind dev sets through the production analyser and matcher (PostgreSQL, exact then fallback), as floors.

Each set was written by a helper who saw the entries' titles and solutions but no pattern and no code, and
was scored before any tuning (evals/notes). These are development sets: the floors keep what was reached
from sliding back. The held-out set (evals/heldout) is run only to report, never here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import connect
from evals.failures import evaluate, evaluate_variants
from kb import entries

pytestmark = [pytest.mark.integration, pytest.mark.slow]
EVALS = Path(__file__).resolve().parents[2] / "evals"

# set -> (least right: today's figure, so a change that loses one fails; the only ids allowed to be answered with
# another entry than their label)
FLOORS = {
    "kb_variants_calibration_blind.jsonl": (104, set()),
    # v3-0183: a mysql postinst failing because mysql.service will not start, in a shell task: answered as the
    # maintainer-script entry since a service failing in a command line's package run is the package script's.
    "kb_variants_calibration3_blind.jsonl": (196, set()),
    # Set 4 (evals/notes/kb_variants4_writer_notes.md), unseen: 164/174 right, 14 wrong. The three left are
    # labels the writer marked unsure or causes the KB lacks: v4-0187 apt's "Dynamic MMap ran out of room"
    # (no longer answered as the corrupt lists it also prints: terms.failing_part), v4-0189 zypper's own "Reboot is required" (answered as
    # the reboot-required entry), v4-0235 sssd down behind "sudo: a password is required" (no longer answered:
    # sudo's PAM error ends the part that failed).
    "kb_variants_calibration4_blind.jsonl": (172, {"v4-0189"}),
    # Set 5 (evals/notes/kb_variants5_writer_notes.md: bug-report style, one line in eight non-English), unseen
    # after set 4's work: 141/176 right, 6 wrong. Answered otherwise, and kept: v5-0147 curl's own "certificate
    # is not yet valid" (clock skew breaks every TLS client), v5-0211 a script's own sudo asking for a password, v5-0222 yum "not registered" beside "No
    # package available", v5-0238 needs-restarting without an option (no longer answered since set 28).
    "kb_variants_calibration5_blind.jsonl": (160, {"v5-0147", "v5-0211", "v5-0222"}),
    # Set 6 (evals/notes/kb_variants6_writer_notes.md: one line in four non-English, taken from the tools' own
    # catalogues), unseen after the translations: 150/162 right, 5 wrong. v6-0205, deb822_repository without
    # python3-debian, is no longer answered as the bindings entry: "debian" is a value that entry's pattern leaves
    # out (kb.analysis.terms.slot_skeleton). A command's own Python traceback (v6-0154 the dnf CLI, v6-0159 an apt hook; v5-0171, v7-0200,
    # v8-0107 alike), labelled null by four writers, is no longer answered (kb.models.INTERPRETER_CATEGORIES).
    "kb_variants_calibration6_blind.jsonl": (160, set()),
    # Set 7 (evals/notes/kb_variants7_writer_notes.md: versions and module wrappers at the edges; its writer put
    # the sibling an operator would also accept in "also"), unseen: 183/194 right, 4 wrong. Answered otherwise,
    # and kept: v7-0205 a zypper conflict
    # (labelled null; the dependency entry's title names any package manager, and set 5's writer labelled the
    # same case with it, v5-0178), v7-0233 needs-restarting without -r (no longer answered since set 28).
    "kb_variants_calibration7_blind.jsonl": (192, {"v7-0205"}),
    # Set 8 (evals/notes/kb_variants8_writer_notes.md: 138 of 240 lines written before its deadline, all from
    # memory), unseen after set 7's work: 100/108 right, 6 wrong. Answered otherwise, and kept: v8-0106 apt's
    # "Unable to locate package" after a locale warning (labelled null as a locale error), v8-0117 a unit's start timing out under the systemd module
    # (labelled null), v8-0137 a third-party %post scriptlet (its writer's unsure label; set 7's writer labelled
    # a like case with the scriptlet entry, v7-0209).
    "kb_variants_calibration8_blind.jsonl": (103, {"v8-0106", "v8-0117", "v8-0137"}),
    # Set 9 (evals/notes/kb_variants9_writer_notes.md: the cause printed beside a more generic message of the same
    # tool), unseen: 113/126 right, 6 wrong. Answered otherwise, and kept: k9-0077 a text showing rpm's wrong
    # architecture labelled as a failed reboot (the text and the label disagree), k9-0117 needs-restarting without
    # -r (no longer answered since set 28), k9-0122 a masked unit inside an apt upgrade's postinst (answered by the
    # maintainer-script entry on purpose: kb/analysis/matcher.py, rule 1).
    "kb_variants_calibration9_blind.jsonl": (121, {"k9-0077", "k9-0122"}),
    # Set 10 (evals/notes/kb_variants10_writer_notes.md: other releases and distributions, one line in six
    # non-English), unseen: 118/125 right, 1 wrong (k10-0106, an internal repo's timeout printed after
    # subscription-manager's "This system is not registered": right since rhel-not-registered is a wrapper).
    "kb_variants_calibration10_blind.jsonl": (124, set()),
    # Set 11a (evals/notes/kb_variants11a_writer_notes.md: the machinery around the package tool: mistyped
    # subcommands, other modules' Python libraries, users, the SSH client, package databases), unseen at 4996b3a:
    # 72/76 right, 1 wrong (k11a-0051, a mistyped dnf subcommand read as a missing plugin: the plugin entry now
    # names the plugin commands). Set 11b (kb_variants11b_writer_notes.md: distributions beyond RHEL/Ubuntu, two
    # causes printed together, 90 near misses), unseen at 4996b3a: 106/107 right, 1 wrong (k11b-0150, Ksplice
    # Uptrack's own connection error answered by similarity as subscription-manager's).
    "kb_variants_calibration11a_blind.jsonl": (76, set()),
    "kb_variants_calibration11b_blind.jsonl": (107, set()),
    # Set 12a (kb_variants12a_writer_notes.md: 80 near misses, half very close), unseen at 44a6b05: 76/80 right,
    # 3 wrong (k12a-0087 systemd's "transaction is destructive" during a shutdown, k12a-0095 a template's visudo
    # validation of its own temp file, k12a-0100 the controller's own full disk under "ansible-local").
    "kb_variants_calibration12a_blind.jsonl": (79, set()),
    # Set 12b (kb_variants12b_writer_notes.md: Ansible's and AWX's wrappers, 109 of 120 lines whole "fatal: [h]:
    # FAILED! => {...}" lines), unseen at 23526ac: 93/95 right, 0 wrong; its two misses were JSON-escaped quotes,
    # now read as the log parser reads the line (kb.analysis.parser.read_pasted).
    "kb_variants_calibration12b_blind.jsonl": (95, set()),
    # Set 13b (kb_variants13b_writer_notes.md: each entry once in its least obvious wording), unseen at 57dad55:
    # 101/104 right, 1 wrong. Kept: k13b-0016, labelled with entry 16's slug by its position, but its text and
    # its writer's notes are a German apt lock (answered apt-dpkg-lock-held, as k13b-0017). Set 13c
    # (kb_variants13c_writer_notes.md: two causes' words in one text), unseen at 57dad55: 89/90 right, 0 wrong
    # (its miss, k13c-0070, is Japanese its writer approximated, not dpkg's catalogue).
    "kb_variants_calibration13b_blind.jsonl": (103, {"k13b-0016"}),
    "kb_variants_calibration13c_blind.jsonl": (89, set()),
    # Set 13a (kb_variants13a_writer_notes.md: near misses from the application world inside patch jobs),
    # unseen at 680d02d: 70/80 right, 5 wrong. Kept: k13a-0068 a task's own wget of an .rpm refused by a proxy
    # (407; the text names rpm, so the repository proxy entry answers), k13a-0089 docker's "read-only file system"
    # inside a container's overlay (the filesystem pattern sees a /var path).
    "kb_variants_calibration13a_blind.jsonl": (79, {"k13a-0068", "k13a-0089"}),
    # Set 14 (kb_variants14_writer_notes.md: the package tools' state on disk), unseen at f49a2df: 68/76 right,
    # 4 wrong. k14-0054 rpm's "cannot open Packages index using db5 - Permission denied (13)" (not root) is
    # answered since rpm's errno names the cause (the corrupt-rpmdb entry is a wrapper). k14-0090 apt's
    # "Dynamic MMap ran out of room" before "Problem with MergeList" (labelled null, as v4-0187) is no longer
    # answered as corrupt lists (terms.failing_part). SQLite's "attempt
    # to write a readonly database" is no longer answered (set 12a's writer labelled it read-only filesystem,
    # set 14's not root), so set 12a's floor is 79.
    "kb_variants_calibration14_blind.jsonl": (71, set()),
    # Set 15a (kb_variants15a_writer_notes.md: network, proxy, TLS and key-server failures, the package manager's
    # or another program's), unseen at 2d77b14: 61/77 right, 1 wrong (at b97686f, before the reason conflict: 6
    # wrong, five key-server failures answered as DNS by similarity). Its misses are mostly key-server failures
    # ("Server indicated a failure" is left unanswered on purpose) and three translations its writer worded from
    # memory (the catalogues word them otherwise).
    "kb_variants_calibration15a_blind.jsonl": (70, set()),
    # Set 15b (kb_variants15b_writer_notes.md: two messages where one is the cause), unseen at 2d77b14: 68/75
    # right, 3 wrong. Kept: k15b-0056 zypper's "remove lock to allow installation" under an unprovidable
    # requirement (labelled null: no entry for zypper's package locks; answered as the depsolve wrapper, whose
    # solution names locks). Two of its misses are German its writer worded from memory.
    "kb_variants_calibration15b_blind.jsonl": (72, {"k15b-0056"}),
    # Set 16b (kb_variants16b_writer_notes.md: what runs inside a patch: scriptlets, maintainer scripts, services,
    # reboot checks), unseen at 18012d9: 80/80 right, 0 wrong.
    "kb_variants_calibration16b_blind.jsonl": (80, set()),
    # Set 16a (kb_variants16a_writer_notes.md: 70 near misses on each entry's own words), unseen at bd9afac:
    # 62/65 right, 4 wrong. Kept: k16a-0040 needs-restarting without -r (no longer answered since set 28; labelled null; another writer labelled
    # it the missing tool, a disputed label), k16a-0100 a site pre-check quoting apt's lock error from an old log
    # line before refusing for a change ticket.
    "kb_variants_calibration16a_blind.jsonl": (65, {"k16a-0100"}),
    # Set 17d (kb_variants17d_writer_notes.md: Ansible's own wording around the cause, 2.9 to 2.19: module msgs,
    # FAILED! lines, UNREACHABLE!, MODULE FAILURE, loops, async), unseen at d60e319: 77/77 right, 0 wrong.
    "kb_variants_calibration17d_blind.jsonl": (77, set()),
    # Set 17a (kb_variants17a_writer_notes.md: 70 near misses on the own words of entries 1-42), unseen at
    # 7d9d072: 60/65 right, 3 wrong. Kept: k17a-0048 dnf's "No package X available" beside "This system is not
    # registered" (labelled package-not-available; the KB answers the named cause, as k10-0106: a disputed label).
    "kb_variants_calibration17a_blind.jsonl": (63, set()),  # k17a-0048 right since the repositories-read rule
    # Set 17b (kb_variants17b_writer_notes.md: 70 near misses on the own words of entries 43-85), unseen at
    # 5c570f5: 57/65 right, 4 wrong. k17b-0021, a Spanish dpkg postinst whose service restart failed in a command
    # task, is answered as the maintainer-script entry since the English reading is kept when it ranks better
    # (CompiledKb.read). Kept: k17b-0095 a task's own ssh to another host whose sudo wants a tty (labelled null).
    "kb_variants_calibration17b_blind.jsonl": (62, {"k17b-0095"}),
    # Set 17c (kb_variants17c_writer_notes.md: long noisy outputs, the cause buried), unseen at 5c570f5: 72/80
    # right, 10 wrong, all near misses. Kept: k17c-0071 an assert quoting an old run's /boot error, k17c-0088 a
    # file conflict between the x86_64 and i686 copies of one library (labelled multilib; a pattern for it would
    # overlap the file-conflict entry's), k17c-0095 apt's BADSIG beside a NO_PUBKEY of a repo its writer says
    # the job disabled, k17c-0099 curl's "Failed to connect to proxy.corp.example port 3128" (the proxy is
    # only in the host's name: labelled proxy, answered as a refused connection).
    "kb_variants_calibration17c_blind.jsonl": (74, {"k17c-0071", "k17c-0088", "k17c-0095", "k17c-0099"}),
    # Set 18c (kb_variants18c_writer_notes.md: every line in another language, from the real catalogues),
    # unseen at 7d1166f: 77/80 right, 1 wrong. Kept: k18c-0085 a script's own "sudo -n -u postgres" wanting a
    # password, in Japanese (labelled null; answered as Ansible's become password missing).
    "kb_variants_calibration18c_blind.jsonl": (79, {"k18c-0085"}),
    # Set 18a (kb_variants18a_writer_notes.md: long noisy outputs of whole patch steps, a second set written
    # after set 17c's changes), unseen at 6304d3b: 74/77 right, 6 wrong: a script's last traced command failed while
    # an earlier package tool's warning or a retried step still matched. Since 2ffd927 a traced script is read from
    # its last command (kb.analysis.terms.moved_past), and dnf's wait for another process's lock is dropped once
    # its transaction ran (k18a-0054, an rpm scriptlet failure after the wait). 75 until 53d3e86, 74 since: k18a-0027
    # (SUSEConnect's "Not Registered", then the script's own `zypper lp | grep -c security` check failing) is
    # unanswered since the last traced command that did something is read, not the `test ... || exit 4` after it.
    "kb_variants_calibration18a_blind.jsonl": (74, set()),
    # Set 19 (kb_variants19_writer_notes.md: services under wrappers, non-SSH answers on port 22, language
    # package managers' own failures, mixed proxy errors), unseen at a0516f2: 63/80 right, 2 wrong. Its writer
    # labels pip's and npm's own network failures with the repository entries; the KB leaves those to "possibly
    # related" on purpose (the matcher's context rule), so they are misses, not wrong. Kept: k19-0085 a jump
    # host refusing the forward ("administratively prohibited") before "kex_exchange_identification: Connection
    # closed" (labelled null) is no longer answered: "stdio forwarding failed" ends the part that failed.
    "kb_variants_calibration19_blind.jsonl": (64, set()),
    # Set 20a (kb_variants20a_writer_notes.md: ssh refused for other reasons than the key, proxies failing by
    # name, port or credentials, apt updates mixing per-source errors, helper tools' notices), unseen at 2ffd927:
    # 73/75 right, 3 wrong. Kept: k20a-0054 "Too many authentication failures" (labelled null; eight other
    # writers label it the publickey entry we answer).
    "kb_variants_calibration20a_blind.jsonl": (74, {"k20a-0054"}),
    # Set 20b (kb_variants20b_writer_notes.md: two failures printed, one the cause; units under wrappers; other
    # tools' disk and read-only errors; something else answering a port), unseen at 2ffd927: 71/77 right, 4 wrong.
    # Kept: k20b-0055 rsync's "Read-only file system" on a backup mount (labelled null), k20b-0091 gpg's
    # "keyserver receive failed: No data" (labelled null; set 15a labels it the key entry we answer).
    "kb_variants_calibration20b_blind.jsonl": (74, {"k20b-0055", "k20b-0091"}),
    # Set 21a (kb_variants21a_writer_notes.md: 100 near misses over 69 entries, half very close), unseen at
    # cc04bf3: 47/50 right, 5 wrong. Kept: k21a-0026, k21a-0030, k21a-0032 a script's own sudo or su refused
    # (labelled null; other writers label the same words under "non-zero return code" with the privilege
    # entries, 13 times on the dev sets).
    "kb_variants_calibration21a_blind.jsonl": (49, {"k21a-0026", "k21a-0030", "k21a-0032"}),
    # Set 21b (kb_variants21b_writer_notes.md: set -x traced scripts of a patch play, module wrappers around a
    # package manager's output, loops), unseen at cc04bf3: 74/75 right, 0 wrong.
    "kb_variants_calibration21b_blind.jsonl": (74, set()),
    # Set 22a (kb_variants22a_writer_notes.md: 40 re-worded lines, 60 near misses; mostly from memory), unseen at
    # 0bdfb8e: 66/70 right, 6 wrong, not changed: k22a-0042 "not registered" beside "Unable to find a match" (as
    # k17a-0048), k22a-0056 visudo's interactive "What now?", k22a-0063 SUSE's "Permission to access ... denied"
    # (labelled null; the registration entry covers SLES), k22a-0067 kdump's own reason under "Job for ...
    # failed", k22a-0082 sudo unable to reach LDAP before "incorrect password attempt", k22a-0098 a custom apt
    # wrapper refusing to run after apt's lock message.
    "kb_variants_calibration22a_blind.jsonl": (
        67,
        {"k22a-0056", "k22a-0063", "k22a-0067", "k22a-0082", "k22a-0098"},
    ),
    # Set 22b (kb_variants22b_writer_notes.md: 100 near misses on entries 43-85, none checked against a source),
    # unseen at 0bdfb8e: 46/53 right, 8 wrong, not changed. Tried and dropped: reading a command line's package
    # manager as the task's module for rule 1 (fixed k22b-0083 and v3-0183, lost three right answers elsewhere);
    # dropping what precedes a script's first traced line (fixed k22b-0028, lost four right answers). k22b-0083 is
    # answered since a service failing in a command line's package run is the package script's (kb.analysis.matcher).
    "kb_variants_calibration22b_blind.jsonl": (
        47,
        {
            "k22b-0020",
            "k22b-0028",
            "k22b-0047",
            "k22b-0072",
            "k22b-0078",
            "k22b-0097",
        },
    ),
    # Set 23a (kb_variants23a_writer_notes.md: entries 1-42 re-worded, 50 near misses), unseen at ee0bad3: 74/75
    # right, 1 wrong, kept: k23a-0081 wait_for_connection's "timed out waiting for ping module test: Missing sudo
    # password" (labelled the become entry; answered as the reboot timeout, whose pattern is longer).
    "kb_variants_calibration23a_blind.jsonl": (74, {"k23a-0081"}),
    # Set 23b (kb_variants23b_writer_notes.md: entries 43-85 re-worded, 50 near misses), unseen at ee0bad3: 73/75
    # right, 2 wrong, kept: k23b-0038 a postinst's service failure in German with no tool named (the package-run
    # rule needs a family), k23b-0092 get_url's gpg "BAD signature" on a tarball (labelled null).
    "kb_variants_calibration23b_blind.jsonl": (73, {"k23b-0038", "k23b-0092"}),
    # Set 24a (kb_variants24a_writer_notes.md: 100 near misses on entries 1-42), unseen at b2d869b: 48/50 right,
    # 3 wrong (k24a-0064, dnf's "Modular dependency problems" warning in a run that ended "Complete!", is no
    # longer answered: terms.modular_warning), kept: k24a-0004 dpkg's "cannot copy extracted data ... to '/boot/...'" disk full (labelled /boot,
    # answered as apt's full disk: a /boot pattern would also fit apt's own, a non-wrapper). k24a-0068, dnf's
    # history database "malformed" once answered by similarity as the disk-full SQLite sample, is no longer: that
    # pattern names the reason the SQLite step failed (terms.reason_skeleton), and another reason is another cause.
    "kb_variants_calibration24a_blind.jsonl": (48, {"k24a-0004"}),
    # Set 24b (kb_variants24b_writer_notes.md: every line in another language, mostly from memory: the writer found
    # no catalogue for dnf, rpm, libzypp or sudo), unseen at b2d869b: 41/75 right, 2 wrong, kept: k24b-0054 a German
    # postinst failure worded unlike dpkg's catalogue (labelled the maintainer-script entry), k24b-0096 wget's own
    # 407 from a proxy fetching an .rpm (labelled null).
    "kb_variants_calibration24b_blind.jsonl": (41, {"k24b-0054", "k24b-0096"}),
    # Set 25a (kb_variants25a_writer_notes.md: 50 re-worded over all entries, 50 near misses), unseen at ac2f51b:
    # 73/75 right, 1 wrong, kept: k25a-0069 dnf's "Package ... is not signed" under "GPG check FAILED" (labelled
    # null: importing a key cannot fix an unsigned package; the GPG entry's patterns cannot tell it apart).
    "kb_variants_calibration25a_blind.jsonl": (73, {"k25a-0069"}),
    # Set 25b (kb_variants25b_writer_notes.md: a patch play's pre- and post-checks), unseen at ac2f51b: 67/75 right,
    # 1 wrong; k25b-0066 (yum's not-registered notice in a check-update that listed updates) is no longer answered.
    "kb_variants_calibration25b_blind.jsonl": (67, set()),
    # Set 26a (kb_variants26a_writer_notes.md: a package the request cannot reach for another reason than a missing
    # repo: version locks, exclude= lines, module filtering, apt holds), unseen at 5be66b8: 70/79 right, 5 wrong.
    # Kept: k26a-0067 a zypper package lock under a requirement that cannot be provided (labelled the exclude
    # entry, or package-not-available; answered as the dependency entry: writers 15b and 17b label zypper locks
    # null), k26a-0072 "No match for argument: <name>.x86_64" from an aarch64 repository (labelled the wrong-arch
    # entry; the text names no architecture mismatch).
    "kb_variants_calibration26a_blind.jsonl": (77, {"k26a-0067", "k26a-0072"}),
    # Set 26b (kb_variants26b_writer_notes.md: package signatures and integrity in every tool), unseen at 5be66b8:
    # 65/75 right, 1 wrong (yum's "repomd.xml signature could not be verified" under "No more mirrors").
    "kb_variants_calibration26b_blind.jsonl": (72, set()),
    # Set 26c (kb_variants26c_writer_notes.md: apt and dpkg internals, a quarter non-English), unseen at 5be66b8:
    # 75/77 right, 0 wrong.
    "kb_variants_calibration26c_blind.jsonl": (75, set()),
    # Set 26d (kb_variants26d_writer_notes.md: refused and inhibited reboots, needs-restarting, dependency problems
    # in every tool), unseen at 5be66b8: 66/75 right, 1 wrong (mamba's libsolv "nothing provides ... needed by").
    "kb_variants_calibration26d_blind.jsonl": (73, set()),
    # Set 27a (kb_variants27a_writer_notes.md: entries 43-85 re-worded, as held-out part b), unseen at 6fcc7d0: 86/88
    # right, 1 wrong, kept: k27a-0084 ssh's debug "send_pubkey_test: no mutual signature algorithm" before
    # "Permission denied (publickey)" (labelled the algorithm entry; the denial's pattern outweighs any pattern for
    # the debug line, which verbose output alone prints).
    "kb_variants_calibration27a_blind.jsonl": (86, {"k27a-0084"}),
    # Set 27b (kb_variants27b_writer_notes.md: SUSE hosts, a third translated), unseen at 6fcc7d0: 61/75 right,
    # 2 wrong, kept: k27b-0021 zypper's curl error 60 "certificate has expired" (labelled the checksum entry; the
    # text shows a TLS certificate), k27b-0081 "needs-restarting: command not found" on a SUSE host (labelled null:
    # the text does not say SUSE).
    "kb_variants_calibration27b_blind.jsonl": (64, {"k27b-0021", "k27b-0081"}),
    # Set 27c (kb_variants27c_writer_notes.md: reaching and becoming root), unseen at 6fcc7d0: 71/75 right, 3 wrong,
    # kept: k27c-0056 and k27c-0074 a script's own sudo on another machine (labelled null; as k21a-0026), k27c-0089
    # curl's "Failed to connect to proxy.corp.example port 3128" (labelled the proxy entry; answered as the
    # unreachable repository: curl does not say the host is a proxy).
    "kb_variants_calibration27c_blind.jsonl": (72, {"k27c-0056", "k27c-0074", "k27c-0089"}),
    # Set 27d (kb_variants27d_writer_notes.md: 100 near misses on entries 43-85), unseen at 6fcc7d0: 49/52 right,
    # 3 wrong; k27d-0003 (apt's held packages in a BuildKit step) is no longer answered (in_image_build). Kept:
    # k27d-0005 dnf's "of lowest version already installed, cannot downgrade it" (labelled package-not-available;
    # the downgrade entry cites the message), k27d-0065 a vendor upgrade script printing dpkg's conffile prompt.
    "kb_variants_calibration27d_blind.jsonl": (49, {"k27d-0005", "k27d-0065"}),
    # Sets 28a-28d (kb_variants28*_writer_notes.md), unseen at 939386b: 28a (entries 1-42 re-worded) 86/88 right,
    # 0 wrong; 28b (40 re-worded over all entries, 60 near misses) 70/70, 1 wrong; 28c (Red Hat hosts of every age)
    # 65/75, 4 wrong; 28d (Ansible's own failure reports) 74/75, 0 wrong. Needs-restarting without -r is no longer
    # the missing tool (k28c-0075; as v7-0233, k9-0117, k16a-0040, v5-0238: six of seven writers label it null;
    # v4-0231, labelled the entry, is now missed). Kept: k28b-0088 zypper's own "Reboot is required" with rc 102
    # (labelled null; k16b-0090 and k27b-0060 label it the reboot-required entry, v4-0189 null), k28c-0070 the
    # not-registered notice before a module conflict (labelled the dependency entry), k28c-0093 a printed
    # versionlock list beside "No match for argument" (labelled the exclude entry; answered as not available).
    "kb_variants_calibration28a_blind.jsonl": (86, set()),
    "kb_variants_calibration28b_blind.jsonl": (70, {"k28b-0088"}),
    "kb_variants_calibration28c_blind.jsonl": (66, {"k28c-0093"}),
    "kb_variants_calibration28d_blind.jsonl": (74, set()),
    # Sets 29a (become on hosts whose PAM/sssd/sudo stack is part of the story) and 29b (packages a request cannot
    # reach on SUSE and Red Hat), kb_variants29*_writer_notes.md, unseen at d2a0d35: 29a 69/75 right, 1 wrong
    # (k29a-0069, ssh's denial after "with partial success": a second factor, no longer answered); 29b 67/75, 1
    # wrong (k29b-0011, dnf's modular warning naming the package it could not find, now the modular entry).
    "kb_variants_calibration29a_blind.jsonl": (69, set()),
    "kb_variants_calibration29b_blind.jsonl": (70, set()),
    # Sets 30a (Ansible's own messages wrapping the real cause) and 30b (services after patching in every wording),
    # kb_variants30*_writer_notes.md, unseen at bdd8223 / f4e2127: 30a 74/78 right, 3 wrong (a one-time-code
    # prompt, a jump host's refused forward, "Data could not be sent ... Connection closed by"); 30b 67/75, 0 wrong.
    "kb_variants_calibration30a_blind.jsonl": (75, set()),
    "kb_variants_calibration30b_blind.jsonl": (73, set()),
    # Sets 31a (networks that rewrite or block traffic), 31b (look-alikes of service failures) and 31c (SUSE
    # registration), kb_variants31*_writer_notes.md, unseen at 3e3e317's analyser: 31a 67/76 right, 0 wrong; 31b
    # 70/75, 4 wrong; 31c 43/75, 1 wrong. A service that failed to start now yields to the cause its journal names
    # (k31b-0076 read-only disk, k31b-0083 OOM); SUSEConnect's status, list-extensions and registration-code
    # wordings joined the registration entries. Kept: k31b-0073 a needs-restarting-style list failed by the
    # playbook's own failed_when (labelled null; answered as the reboot-required entry, the kind writers split on),
    # k31b-0087 "Reboot command failed. Error was: 'sudo: a password is required'" (labelled the become entry; the
    # reboot entry's pattern outweighs it). k31c-0081, a zypper checksum line once answered as the signature entry, is
    # right since set 34c (libzypp's "Digest verification failed").
    "kb_variants_calibration31a_blind.jsonl": (67, set()),
    "kb_variants_calibration31b_blind.jsonl": (72, {"k31b-0073", "k31b-0087"}),
    "kb_variants_calibration31c_blind.jsonl": (53, set()),
    # Set 32a (service and dpkg/apt database look-alikes, all from memory), unseen at e1ac677: 27/41, 0 wrong.
    "kb_variants_calibration32a_blind.jsonl": (27, set()),
    # Sets 33a (services after patching and the checks around them) and 33b (easy-to-confuse neighbours: multilib
    # and depsolve, a locked account and a wrong become password, a reboot timeout and a closed connection, dpkg's
    # database and apt's lists), kb_variants33*_writer_notes.md, unseen at 7ec482f: 33a 69/80 right, 0 wrong; 33b
    # 77/80, 1 wrong (k33b-0031, a file two different x86_64 packages ship, answered as multilib: the multilib
    # pattern now needs an i686 and an x86_64). EL6 initscripts' [FAILED] and its catalogue's translations, Ansible's
    # service module's own not-found messages and dpkg's unreadable status file joined their entries.
    "kb_variants_calibration33a_blind.jsonl": (57, set()),
    "kb_variants_calibration33b_blind.jsonl": (62, set()),
    # Sets 34a (other programs' errors in an entry's words: 45 null near misses), 34b (58 of 80 lines in other
    # languages, from the tools' catalogues) and 34c (SUSE), kb_variants34*_writer_notes.md, unseen at f97577f:
    # 34a 75/80 right, 2 wrong; 34b 78/80, 0 wrong; 34c 68/80, 2 wrong. libzypp's solver conflicts, "Digest
    # verification failed", zypper's unknown repo and --oldpackage hint joined their entries (k31c-0081 and
    # v5-0178 became right with them; v7-0205, the same zypper conflict labelled null, is answered again); a
    # translated message shorter than MIN_LITERAL characters inside another's placeholder is read (zh_CN apt).
    # Kept: k34a-0026 npm's EACCES under /usr/lib/node_modules (labelled null; k13a-0046, the same text, is
    # labelled the become entry), k34c-0052 a zypper lock (labelled the exclude entry; writers split three ways),
    # k34c-0053 a proxy's login page before zypper's failed signature check (labelled the proxy entry).
    "kb_variants_calibration34a_blind.jsonl": (32, {"k34a-0026"}),
    "kb_variants_calibration34b_blind.jsonl": (64, set()),
    "kb_variants_calibration34c_blind.jsonl": (57, {"k34c-0052", "k34c-0053"}),
    # Sets 35a (the rpm database and its neighbours), 35b (passwords and privilege prompts, 30 null look-alikes) and
    # 35c (dependency failures; other package managers' look-alikes), kb_variants35*_writer_notes.md, unseen at
    # 9b694f3: 35a 72/80 right, 1 wrong (slapd's Berkeley DB "DB_RUNRECOVERY" answered as the rpmdb entry: the
    # pattern now needs rpm's "dbN error(...) from" framing); 35b 72/80, 3 wrong (a command's sudo for another user
    # or on another host answered as the become entries: kb.analysis.terms.foreign_sudo); 35c 78/80, 1 wrong (dpkg
    # unable to install a file under ./boot for want of space, now the /boot entry). dnf5's "Error in %pre
    # scriptlet", apt's read-only lock file and dpkg's space errors joined their entries. Kept: k35b-0069 a
    # script's own sudo asking for a password (labelled null; five writers label the same text the become entry).
    "kb_variants_calibration35a_blind.jsonl": (55, set()),
    "kb_variants_calibration35b_blind.jsonl": (45, {"k35b-0069"}),
    "kb_variants_calibration35c_blind.jsonl": (49, set()),
    # Sets 36a (held-out 22c's brief as a dev set: any entries) and 36b (reboots, the connection coming back, killed
    # processes; 35 null), kb_variants36*_writer_notes.md, unseen at e48fe55: 36a 79/80 right, 0 wrong; 36b 74/80, 0
    # wrong. needs-restarting's own translations (dnf-plugins-core's catalogue), an action plugin's "Invalid options
    # for" and a module that could not be copied into a full remote temporary directory joined their entries.
    "kb_variants_calibration36a_blind.jsonl": (59, set()),
    "kb_variants_calibration36b_blind.jsonl": (43, set()),
    # Sets 37a-37c (held-out 14's three briefs as dev sets, 330 lines), kb_variants37*_writer_notes.md, unseen at
    # f8ab452: 37a 125/125; 37b 116/125, 1 wrong; 37c 76/80, 1 wrong; not worked on. Kept: k37b-0114 wget's 407 from a
    # proxy fetching an .rpm from an artifact server (labelled null; the repository proxy entry answers an .rpm
    # download), k37c-0015 dnf5's two problems, one "nothing provides", one "filtered out by exclude filtering"
    # (labelled the dependency entry; the exclude entry fixes the second).
    "kb_variants_calibration37a_blind.jsonl": (100, set()),
    "kb_variants_calibration37b_blind.jsonl": (92, {"k37b-0114"}),
    "kb_variants_calibration37c_blind.jsonl": (56, {"k37c-0015"}),
    # Sets 38a-38c (kb_variants38*_writer_notes.md: dependency look-alikes; ssh and become look-alikes; repository
    # access on subscribed systems), unseen at 25278e7: 79/80 0 wrong, 78/80 1 wrong, 75/80 1 wrong; after this
    # session's seed and terms.foreign_sudo changes 80/80, 79/80, 79/80, 0 wrong.
    "kb_variants_calibration38a_blind.jsonl": (45, set()),
    "kb_variants_calibration38b_blind.jsonl": (44, set()),
    "kb_variants_calibration38c_blind.jsonl": (49, set()),
    # Sets 39a-39c (signatures and checksums; resources and dying processes; the network under the package
    # managers), unseen at this session's 38 changes: 75/80 1 wrong, 71/80 5 wrong, 79/80 0 wrong; after 77, 72, 79.
    # Kept: k39a-0056 dnf5 ENOSPC while downloading then "OpenPGP check ... Problem occurred when opening the
    # package" (labelled the disk entry; the GPG entry answers, as two other writers label that message);
    # k39b-0036 an application's Python MemoryError and k39b-0048 redis "fork: Cannot allocate memory" in shell
    # tasks (labelled null; 17 other lines label these messages out-of-memory, in command tasks too); k39b-0059
    # clamav "Can't allocate memory" (labelled null, answered out-of-memory by similarity); k39b-0063 an
    # application's pid file on a read-only filesystem (labelled null; the read-only entry's fix applies to any
    # read-only mount). k39b-0045, a script's mkdir "Disk quota exceeded" once answered by similarity as Ansible's
    # remote tmp, is no longer: that entry's pattern names the path (ansible-tmp), another path is another cause.
    "kb_variants_calibration39a_blind.jsonl": (42, {"k39a-0056"}),
    "kb_variants_calibration39b_blind.jsonl": (42, {"k39b-0036", "k39b-0048", "k39b-0059", "k39b-0063"}),
    "kb_variants_calibration39c_blind.jsonl": (44, set()),
    # Sets 40a-40c (held-out briefs b and c as dev sets; 80 near misses only), unseen after the 39 changes: 118/125
    # 1 wrong, 77/80 1 wrong, 58/80 20 wrong; after: 119/125, 77/80, 58/80 (k40c-0005 /boot ENOSPC before
    # update-initramfs now right). Kept: k40a-0015 dnf's exclude wording from memory ("were excluded by
    # configuration (excludepkgs=...)", not dnf's), answered by the "Unable to find a match" wrapper; k40b-0068 ssh's
    # "Too many authentication failures" (labelled null; the key entry answers). 40c's 19 are a measured limit, as
    # 18b's: an entry's own message followed by a second, different failure of the script (a maintenance window,
    # an API's 500, a parse error), or context only in prose a log would not print ("(informational)", "(printed by
    # the nested run)"); the analyser reads which message failed, not which one the script gave up on. Not tuned.
    "kb_variants_calibration40a_blind.jsonl": (94, {"k40a-0015"}),
    "kb_variants_calibration40b_blind.jsonl": (58, {"k40b-0068"}),
    "kb_variants_calibration40c_blind.jsonl": (
        27,
        {
            "k40c-0002",
            "k40c-0008",
            "k40c-0031",
            "k40c-0032",
            "k40c-0037",
            "k40c-0044",
            "k40c-0048",
            "k40c-0051",
            "k40c-0059",
            "k40c-0067",
            "k40c-0070",
            "k40c-0071",
            "k40c-0073",
            "k40c-0074",
            "k40c-0080",
        },
    ),
    # Sets 41a-41b (a cause followed by what it set off; an entry's message followed by a second failure that ended
    # the task), unseen at ee552f1: 78/80 2 wrong, 69/80 11 wrong; after terms.moved_past reads the last traced
    # command that did something (not the echo or exit after it) and librepo's mirror retries are dropped once the
    # downloads arrived: 78/80, 74/80 5 wrong. Kept: k41a-0050 a dnf exclude hint from memory ("use
    # --disableexcludes=main", not dnf's words), answered by the "Unable to find a match" wrapper; k41a-0055 sudo's
    # zh_CN "not in the sudoers file" labelled ssh-password-expired (the sudoers entry answers). 41b's five: a check
    # script quoting an old error from a log file, then failing its own check, without traces (0013, 0045, 0064), and
    # an untraced package run before a traced step (0020, 0030): untraced output may be the last command's stdout.
    "kb_variants_calibration41a_blind.jsonl": (73, {"k41a-0050", "k41a-0055"}),
    "kb_variants_calibration41b_blind.jsonl": (35, {"k41b-0013", "k41b-0020", "k41b-0045"}),
    # Sets 42a-42c (apt index integrity and systemd units; package-set problems told apart; held-out brief b as a
    # dev set), unseen after the 41 changes: 76/80 2 wrong, 78/80 1 wrong, 120/125 3 wrong; after 76/80, 80/80 0
    # wrong, 121/125 2 wrong. Kept: k42a-0048 a `systemctl --user` unit that failed (labelled null; the service entry's
    # fix reads the unit's journal either way), k42a-0054 a hardening check expecting a unit to be absent (context in
    # prose); k42c-0094 ssh's "Too many authentication failures" (labelled null; 22 other lines label it the key
    # entry), k42c-0096 ssh's banner "invalid format" (labelled null; dev writers split between connect, key, null).
    "kb_variants_calibration42a_blind.jsonl": (43, {"k42a-0048", "k42a-0054"}),
    "kb_variants_calibration42b_blind.jsonl": (55, set()),
    "kb_variants_calibration42c_blind.jsonl": (99, {"k42c-0094", "k42c-0096"}),
    # Sets 43a-43b (Python and module machinery; reboots and what is printed around them), scored unseen on
    # e081262: 76/80, 1 wrong each; worked on the next session: 78/80 and 77/80, 0 wrong (a library named in words
    # fills the bindings entry's slot; a state a script logs as INFO is not the ERROR it logs after; an old
    # AnsiballZ's imp.py). Misses left: writers' German and Spanish apt lines unlike apt's catalogues, a
    # `systemctl` "not booted with systemd" and a reboot-required file check (labels split across dev sets).
    "kb_variants_calibration43a_blind.jsonl": (43, set()),
    "kb_variants_calibration43b_blind.jsonl": (42, set()),
    # Sets 44a-44c (held-out briefs a, b and c as dev sets, 11:48-11:53 on 2026-12-06), scored unseen after the
    # 43 changes: 97/100 0 wrong, 97/100 1 wrong, 60/60 0 wrong. k44b-0097, the reboot module's "Reboot command
    # failed. Error was: 'sudo: a password is required'", is now the become entry's (the module quotes the
    # command's own error: kb.analysis.matcher.hands_over). Misses left: Chinese dnf, Portuguese apt, German zypper
    # and French apt wordings unlike the catalogues (or, for apt's list errors, not yet in it).
    "kb_variants_calibration44a_blind.jsonl": (98, set()),
    "kb_variants_calibration44b_blind.jsonl": (98, set()),
    "kb_variants_calibration44c_blind.jsonl": (60, set()),
    # Sets 45a-45c (held-out briefs a, b and c as dev sets again, 12:07-12:17), scored unseen after the 44 changes
    # and the catalogue rebuild: 91/100 3 wrong, 98/101 0 wrong, 57/60 1 wrong; after 93/100, 98/101, 58/60, 0 wrong:
    # an application's lock file refused with apt's words is not apt's (its lock files are under dpkg/ and apt/);
    # rpm's "needs N more inodes on the /boot filesystem"; the yum module's "No package matching '%s' found
    # available" beside an exclude=; urlgrabber's "[Errno 12] Timeout on" (the timeout entry, over yum's "One of
    # the configured repositories failed"). Misses left: writers' German, French and Spanish apt, dnf and
    # subscription-manager lines unlike the catalogues; a curl (56) reset; a PAM expiry beside another sudo error.
    "kb_variants_calibration45a_blind.jsonl": (93, set()),
    "kb_variants_calibration45b_blind.jsonl": (98, set()),
    "kb_variants_calibration45c_blind.jsonl": (58, set()),
    # Set 46b (held-out brief b as a dev set, 12:28-12:41; its writer checked no wording against a source and read
    # only the entries' titles), scored unseen after the 45 changes: 91/100, 4 wrong; after 92/100, 3 wrong. dnf's
    # "cannot install both" beside an installed .i686 package is the multilib entry's (every dev writer labels it so,
    # 12 lines). Kept: k46b-0044 "Unable to read consumer identity" beside rhsm's "Unable to reach the server"
    # (labelled unreachable; the not-registered entry answers); k46b-0078 apt's "Unable to locate package" beside a
    # held-packages line (labelled null); k46b-0088 a masked unit's status in a check (labelled null).
    "kb_variants_calibration46b_blind.jsonl": (92, {"k46b-0044", "k46b-0078", "k46b-0088"}),
    # Set 46c (held-out brief c as a dev set; its writer finished at 13:07, after the analyser was frozen at c3debc2),
    # scored unseen on the frozen analyser: 59/60, 1 wrong. Read this session: k46c-0062, CentOS 7's retired
    # mirrorlist.centos.org "Could not resolve host" (labelled null, also the 404 entry; the 17 other dev lines on that
    # host all accept the DNS entry): kept as disputed. Its miss, k46c-0007, is its writer's own French for apt's
    # "not valid yet", unlike apt's fr.po.
    "kb_variants_calibration46c_blind.jsonl": (59, {"k46c-0062"}),
    # Set 47b (held-out brief b as a dev set, 15:20 on 2026-12-06), unseen after the later-failure, repositories-read
    # and MODULE FAILURE rc 137 changes: 92/100, 0 wrong; after a shell's "Killed" following a package manager's run
    # and apt's "(12: Cannot allocate memory)": 94/100; with zypper's rejected new key: 95/100, 0 wrong. Its misses
    # are wordings no source shows (a dnf module "is a downgrade of installed", dnf5 "filtered out by versionlock
    # plugin", a German zypper lock) and dash's "needs-restarting: not found", which two other writers label null.
    "kb_variants_calibration47b_blind.jsonl": (95, set()),
    # Set 47a (held-out brief a as a dev set; its writer started at 15:33 and checked nothing against a source),
    # scored unseen at 229f3d5: 107/115, 5 wrong, all kept as disputed or unreal: k47a-0031 apt's "Could not connect
    # to proxy.corp:3128" (5 other writers accept the timeout entry); k47a-0058 an entitlement message worded from
    # memory; k47a-0096 "Missing sudo password" then sudoers' refusal (its writer's own mix); k47a-0108 Ansible's
    # "you probably need to set the interpreter", which it prints only when the interpreter was not found, over
    # "Killed"; k47a-0116 dnf's "No such command: needs-restarting" (41 other lines label it needs-restarting-missing).
    # k47a-0031 is right since the proxy entry knows a connection to the proxy itself (d81123d): 108/115.
    "kb_variants_calibration47a_blind.jsonl": (
        108,
        {"k47a-0058", "k47a-0096", "k47a-0108", "k47a-0116"},
    ),
    # Sets 48a-b, 49a-c, 50a-b (held-out briefs a/b/c as dev sets, written 17:19-17:45 on 2026-12-06), each scored
    # unseen before the changes it led to: 48a 96/100 1 wrong, 48b 99/100 1 wrong (at d81123d+); 49a 101/102 0 wrong,
    # 49b 96/100 1 wrong, 49c 58/60 1 wrong, 50a 99/100 0 wrong, 50b 99/100 0 wrong (at e86a7ee+). Kept: k49b-0097,
    # ssh's "Too many authentication failures" labelled null (most writers label it the publickey entry). 49c's miss,
    # k49c-0059, a corrupt cached .deb's lzma error, labelled the hash-sum entry.
    "kb_variants_calibration48a_blind.jsonl": (100, set()),
    "kb_variants_calibration48b_blind.jsonl": (100, set()),
    "kb_variants_calibration49a_blind.jsonl": (102, set()),
    "kb_variants_calibration49b_blind.jsonl": (99, {"k49b-0097"}),
    "kb_variants_calibration49c_blind.jsonl": (59, set()),
    "kb_variants_calibration50a_blind.jsonl": (100, set()),
    "kb_variants_calibration50b_blind.jsonl": (100, set()),
    # Sets 51a-c (the same briefs, written 17:48-17:57), scored unseen on the frozen analyser b5b9b7c and not worked on:
    # 51a 100/100, 51b 100/100, 51c 60/60, 0 wrong.
    "kb_variants_calibration51a_blind.jsonl": (100, set()),
    "kb_variants_calibration51b_blind.jsonl": (100, set()),
    "kb_variants_calibration51c_blind.jsonl": (60, set()),
    # Set 18b (kb_variants18b_writer_notes.md: 75 near misses: an entry's own message where its solution is not
    # the fix: an image or container build, a chroot, a CI or lint job, a dry run, a nested play), unseen at
    # c34c51a: 61/63 right, 21 wrong, all near misses labelled null, not worked on: most tell the context only in
    # a line a real log would not print ("(inside debootstrap target ...)"); the analyser reads the failure's
    # text, not where the command ran. Recorded as a limit (kb/THRESHOLD.md), not tuned.
    "kb_variants_calibration18b_blind.jsonl": (
        61,
        {
            "k18b-0051",
            "k18b-0054",
            "k18b-0056",
            "k18b-0059",
            "k18b-0063",
            "k18b-0073",
            "k18b-0076",
            "k18b-0080",
            "k18b-0081",
            "k18b-0084",
            "k18b-0086",
            "k18b-0088",
            "k18b-0092",
            "k18b-0093",
            "k18b-0094",
            "k18b-0095",
            "k18b-0097",
            "k18b-0099",
            "k18b-0100",
        },
    ),
}


@pytest.fixture
def conn(db_url):
    with connect(db_url) as c:
        entries.import_file(c, entries.SEED_PATH, "test")
        yield c


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_blind_variant_set_keeps_its_recall_without_wrong_fixes(conn, settings, name: str) -> None:
    least_right, doubtful = FLOORS[name]
    report = evaluate_variants(conn, EVALS / name, settings)
    wrong = {w["id"] for w in report["wrong_cases"]}
    assert wrong <= doubtful, report["wrong_cases"]
    assert report["right"] >= least_right, (report["right"], report["expected_an_entry"])


# Blind AWX log sets (evals/notes/logs_blind*_writer_notes.md): logs, failures, least KB top-1 (never a wrong
# fix). Set 4 unseen: top-1 0.934, 2 wrong; set 5 (4 logs, written after the KB work of this file's sets 4 and
# 5) unseen: 1.0, 0 wrong; set 8 (written after the translations) unseen: 0.931, 1 wrong (a git module's own
# publickey refusal); set 7 (written with set 8, scored after set 8's changes) unseen: 0.9, 0 wrong; set 9
# unseen: 1.0, 0 wrong (two of its 29 failures name a second entry in "also"); set 11 (late, all from memory,
# first scored after the code was frozen) unseen: 0.963, 0 wrong (its miss: an async timeout worded from memory,
# its writer's own unsure wording). Set 7's two
# left: its writer's own Spanish and German wordings, which differ from the tools' catalogues at every release
# read (kb/THRESHOLD.md, "Failures in another language"). Set 12 (two parts, 05:03-05:09 on 2026-12-06) unseen:
# part a 1.0, part b 0.958 with 1 wrong (an expired password inside Ansible's temporary-directory message, now the
# password entry: that message is Ansible's own connection, and the temp-dir entry is a wrapper). Set 13 (two
# parts, 05:33-05:36) unseen: 1.0 and 1.0, 0 wrong. Set 14 (two parts, 05:48-05:55: every result shape, pre- and
# post-check plays) unseen: 1.0 and 0.95, 0 wrong (its miss: a German dpkg line worded unlike apt's catalogue). Set 15
# (two parts, 07:15-07:18: post-check plays, block/rescue/always, roles with rescue, max_fail_percentage) unseen:
# 1.0 and 1.0, 0 wrong. Set 16 (one part, 07:31: mixed fleets of every family) unseen: 1.0, 0 wrong. Set 17 (two
# parts, 07:51: rescue in every form; CI fleets) unseen: found 44/48, top-1 0.875, 0 wrong: a log cut off before
# its recap, whose always section every failed host ran, read as four rescues (kb.analysis.tracker: the task after
# a failed rescue is an always section); now 48/48, top-1 0.9375.
# Set 18 (three parts with held-out logs 12's briefs, 08:26) unseen at e48fe55: found 73 for 72 (18c: a host's
# rescued failure that its writer's recap counts as failed=1 rescued=0), top-1 0.986, 0 wrong; at f8ab452 (a host
# never counts more failures than its recap's failed=) 72/72.
LOG_SETS = {
    "logs_blind4": (20, 76, 1.0),
    "logs_blind5": (4, 10, 1.0),
    "logs_blind7": (8, 30, 0.93),
    "logs_blind8": (8, 29, 1.0),
    "logs_blind9": (8, 29, 1.0),
    "logs_blind11": (8, 27, 0.96),
    "logs_blind12": (12, 48, 1.0),
    "logs_blind13": (12, 47, 1.0),
    "logs_blind14": (12, 44, 0.97),
    "logs_blind15": (12, 48, 1.0),
    "logs_blind16": (6, 24, 1.0),
    "logs_blind17": (12, 48, 0.93),
    "logs_blind18": (18, 72, 0.98),
}


@pytest.mark.parametrize("name", sorted(LOG_SETS))
def test_blind_log_set_is_read_and_diagnosed_without_a_wrong_fix(conn, settings, name: str) -> None:
    logs, failures, least_top1 = LOG_SETS[name]
    report = evaluate(conn, EVALS / name, settings)
    assert (report["logs"], report["expected"], report["found"]) == (logs, failures, failures)
    assert (report["precision"], report["recall"], report["wrong_matches"]) == (1.0, 1.0, 0), report["mismatches"]
    assert report["kb_top1"] >= least_top1, report["mismatches"]

r"""Words of a failure text, the literal words of a KB pattern, and the package-manager family a text speaks of.

The similarity fallback (kb.analysis.fallback) compares failures and entries word by word on top of the
character n-gram vectors: a paraphrase keeps the cause's words ("lock", "space", "expired"),
a near-miss swaps exactly those. Words come from ``kb.analysis.normalise.normalise`` (hosts, versions,
paths and numbers are placeholders), lower-cased, lightly stemmed, without stop words.

>>> words("Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)")
['get', 'lock', 'held', 'process', 'apt-get']
>>> pattern_words(r"Curl error \(6\): Couldn't resolve host name")
['curl', 'error', 'couldn', 'resolve', 'host', 'name', '#6']
>>> family("E: Unable to locate package foo"), family("Error: Unable to find a match: foo"), family("boom")
(None, None, None)
>>> family("dpkg: error processing package"), family("yum update failed")
('deb', 'rpm')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.analysis import translate
from kb.analysis.normalise import normalise


def _split(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[a-z][a-z0-9_+-]*[a-z0-9]|[a-z]")
_PLACEHOLDER = re.compile(r"<[a-z]+>")
STOP = _split(
    "a an the and or of to in on at for from by with without into onto is are was were be been being it its"
    " this that these those there their they them not no yes do does did done has have had having as if then"
    " than so but can cannot could would should will may might must you your we our he she his her i me my"
    " all any some one two such other more most very also only just up out over under again after before"
    " while when where which who whom what why how s t re ve ll d m o y e w n x"
)
_REGEX_ESCAPE = re.compile(r"\\[dDsSwWbBAzZ]|\\.|\[[^\]]*\]|\{\d*,?\d*\}|\(\?[:=!<>a-z]*")

# Words that place a text in one package manager's world (a failure quoting dpkg is not a dnf
# failure). Only tool names: generic words ("package", "repository") belong to every family.
FAMILIES: dict[str, frozenset[str]] = {
    "rpm": _split(
        "dnf yum rpm rpmdb repomd microdnf librepo libdnf platform-python subscription-manager rhsm"
        " yum-utils dnf-utils needs-restarting rpmlib createrepo"
    ),
    "deb": _split(
        "apt apt-get aptitude dpkg apt_pkg python3-apt debconf unattended-upgrade unattended-upgrades"
        " deb apt-key sources.list inrelease"
    ),
    "zypp": _split("zypper zypp libzypp suseconnect"),
    # Language package managers: pip's "Could not install packages" into a venv is not dnf's.
    "lang": _split("pip pip3 npm yarn gem bundler cargo composer conda dist-info virtualenv venv node_modules"),
}
_FAMILY_OF = {w: name for name, ws in FAMILIES.items() for w in ws}


def stem(word: str) -> str:
    """A crude suffix stripper: enough for 'resolving'/'resolve', 'keys'/'key', 'expired'/'expire'.

    >>> [stem(w) for w in ("resolving", "keys", "expired", "process", "failed", "mirrors")]
    ['resolv', 'key', 'expir', 'process', 'fail', 'mirror']
    """
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if len(word) > 4 and word.endswith("e"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Content words of a text in order (duplicates kept), not stemmed."""
    norm = _PLACEHOLDER.sub(" ", normalise(text))
    return [w for w in _WORD.findall(norm) if w not in STOP and len(w) > 1]


# Short stand-alone numbers tell causes apart (HTTP 404 vs 401, errno 28, curl error 6); the
# normaliser turns every number into <n>, so they are read from the raw text as "#404".
_CODE = re.compile(r"(?<![\w.:/-])\d{1,3}(?![\w.:/-]|\.\d)")


# A port after a host ("10.0.0.5:22", "mirror:8443/"): which service was reached tells causes apart too
# (sshd on :22 vs an application on :8080). Clock times ("01:38:52") are dropped first.
_TIME = re.compile(r"(?<![\d.])\d{1,2}:\d{2}(?::\d{2})?(?![\d.])")
_PORT = re.compile(r"(?<=[a-z0-9\]]):(\d{2,5})(?![\w.:-])", re.IGNORECASE)
# In a pattern's literal the host is a removed class (``\S+:22``), so any ``:<digits>`` is a port.
_PATTERN_PORT = re.compile(r":(\d{2,5})\b")


def codes(text: str) -> set[str]:
    """Stand-alone 1-3 digit numbers of a text (not parts of versions, addresses, paths or ids), and ports.

    >>> sorted(codes("Status code: 404 for https://x/7/ (IP: 10.1.2.3) [Errno 28] kernel-5.14"))
    ['#28', '#404']
    >>> sorted(codes("Timeout when waiting for 10.0.0.5:22 at 01:38:52"))
    ['#22']
    """
    head = text[:16000]
    return {"#" + m for m in _CODE.findall(head)} | {"#" + m for m in _PORT.findall(_TIME.sub(" ", head))}


def pattern_codes(literal: str) -> set[str]:
    """The codes a pattern's literal text demands (``Error 404``, ``\\(7\\)``, a ``:22`` port)."""
    return codes(literal) | {"#" + m for m in _PATTERN_PORT.findall(literal)}


def terms(text: str) -> set[str]:
    """The stemmed content words of a text and its stand-alone numbers, as a set (what the fallback compares)."""
    return {stem(w) for w in words(text)} | codes(text)


def _literal(pattern: str) -> str:
    literal = _REGEX_ESCAPE.sub(" ", pattern)
    return re.sub(r"[\\^$.|?*+()\[\]{}]", " ", literal).lower()


def pattern_words(pattern: str) -> list[str]:
    """The literal words a regex demands or offers (escapes, classes and repetition dropped)."""
    literal = _literal(pattern)
    return [w for w in _WORD.findall(literal) if w not in STOP and len(w) > 1] + sorted(pattern_codes(literal))


_ESCAPE_OR_CLASS = re.compile(r"\\.|\[[^\]]*\]")
_GROUP = re.compile(r"\((?:\?[a-z]*:)?([^()]*)\)(\?|\*|\{0,\d*\})?")


# A required group of one-token alternatives: ``(apt_pkg|apt|dnf5?)`` (escaped dots and dashes allowed).
_TOKEN_CHOICE = re.compile(r"\((?:\?:)?((?:[\w+]|\\[.-]|-|\?)+(?:\|(?:[\w+]|\\[.-]|-|\?)+)+)\)(?![?*+{])")
_ANY_WORD = r"[\w.+-]+"
# Any words before a reason (``[^\n]*``, ``.*``).
_ANY_PREFIX = re.compile(r"^(?:\[\^\\n\]|\.)[*+]")
# A span that must hold a named word (``[^:]*ansible-tmp[^:]*``: a path that is Ansible's temporary directory).
_PATH_SLOT = re.compile(r"\[\^(\S)\]\*[\w.-]+\[\^\1\]\*")
SLOT_WORDS = 2


def class_end(pattern: str, i: int) -> int:
    r"""The index just after the character class that opens at ``pattern[i]`` (``[``): a leading ``^`` and a
    leading ``]`` belong to the class, and escapes inside it are skipped.

    >>> class_end(r"a[^]x\]]b", 1)
    8
    """
    size = len(pattern)
    j = i + 1
    if j < size and pattern[j] == "^":
        j += 1
    if j < size and pattern[j] == "]":
        j += 1
    while j < size and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _open_slot(m: re.Match[str], pattern: str) -> str:
    """A choice of single tokens opened to any token; closed by a quote or bracket, to anything up to it
    (a library named in words, ``(Docker SDK for Python: docker above 5.0.0)``, fills the same slot)."""
    if all(a.isdigit() for a in m.group(1).split("|")):
        return m.group(0)
    for close, anything in (("\\)", r"[^\n)]+"), ("'", r"[^\n']+"), ('"', r'[^\n"]+')):
        if pattern.startswith(close, m.end()):
            return anything
    return _ANY_WORD


def slot_skeleton(pattern: str) -> str | None:
    r"""The pattern with each required choice of single tokens opened to any token, or None.

    A pattern that names which values a slot may hold (``No module named '(apt|dnf)'``) says that other
    values are another cause: a failure that fits the skeleton but not the pattern is one the entry's
    author left out on purpose. Only a pattern with at least ``SLOT_WORDS`` literal words outside the
    choice has a skeleton (a choice beside one or two words would open it to anything).

    >>> slot_skeleton(r"No module named '(apt_pkg|apt|dnf|yum)'")
    "No module named '[^\\n']+'"
    >>> slot_skeleton(r"Failed to import the required Python library \((python3?-)?(libdnf5|dnf5?|apt)\)")
    'Failed to import the required Python library \\((python3?-)?[^\\n)]+\\)'
    >>> slot_skeleton(r"Failed to (start|restart) unit")
    'Failed to [\\w.+-]+ unit'
    >>> slot_skeleton(r"mkdir: cannot create directory [^:]*ansible-tmp[^:]*: Disk quota exceeded")
    'mkdir: cannot create directory [^:]*: Disk quota exceeded'
    >>> slot_skeleton(r"Curl error \(7\): (Couldn't|Could not|Failed to) connect to") is None
    True
    >>> slot_skeleton(r"(dnf|yum) failed") is None
    True
    >>> slot_skeleton(r'\[Errno 14\] curl#(7|28) - "') is None
    True
    """
    # A choice of codes (``curl#(7|28)``) is left to the codes' own rule (``code_demands``).
    skeleton = _PATH_SLOT.sub(r"[^\1]*", _TOKEN_CHOICE.sub(lambda m: _open_slot(m, pattern), pattern))
    if skeleton == pattern:
        return None
    if len(pattern_words(_PATH_SLOT.sub(" ", _TOKEN_CHOICE.sub(" ", pattern)))) < SLOT_WORDS:
        return None
    return skeleton


def reason_skeleton(pattern: str) -> str | None:
    r"""The pattern cut after its first ``: `` (outside groups and classes) and opened to any reason, or None.

    ``keyserver receive failed: No name for host`` names one reason a step fails; the same step failing for
    another reason (``keyserver receive failed: Connection timed out``) is another cause. Only a
    pattern whose step has at least ``SLOT_WORDS`` literal words, and whose reason starts with a word and is the
    last of the chain, has one; a pattern with a top-level alternation has none.

    >>> reason_skeleton(r"keyserver receive failed: No name for host")
    'keyserver receive failed:\\s*\\S'
    >>> reason_skeleton(r"E: Unable to locate package ") is None, reason_skeleton(r"a b: c|d e: f") is None
    (True, True)
    >>> reason_skeleton(r"Failed to download metadata for repo '[^']+': Cannot download repomd\.xml")
    "Failed to download metadata for repo '[^']+':\\s*\\S"
    >>> reason_skeleton(r'SQLite error on "[^"\n]+": [^\n]*database or disk is full')
    'SQLite error on "[^"\\n]+":\\s*\\S'
    >>> reason_skeleton(r"Librepo error: Cannot download repomd\.xml: All mirrors were tried") is None
    True
    >>> reason_skeleton(r"No match for argument: \S+\s+Error: Unable to find a match") is None
    True
    """
    depth, i = 0, 0
    cut = None
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = class_end(pattern, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return None
        elif c == ":" and depth == 0 and pattern[i + 1 : i + 2] == " ":
            if cut is not None:
                return None  # a chain (``a: b: c``): the reason is itself a step
            cut = i + 1
        i += 1
    if cut is None:
        return None
    step, reason = pattern[:cut], pattern[cut:]
    # A reason after any words (``[^\n]*database or disk is full``) is still the reason the step failed.
    if not _ANY_PREFIX.sub("", reason.lstrip(" "), count=1)[:1].isalpha():
        return None  # a value (``No match for argument: \S+``), not a reason
    demanded = set(pattern_words(_ALTERNATION.sub(" ", step))) - optional_words(step)
    if len(demanded) < SLOT_WORDS or not pattern_words(reason):
        return None
    return step + r"\s*\S"


def optional_words(pattern: str) -> set[str]:
    r"""Words of a pattern's optional groups (marked ``?``, ``*`` or ``{0,n}``).

    A failure need not show them, so they count for an entry only when present. The branches of a
    required alternation stay demanded (counting only the present branch let a generic branch such as
    "Name or service not known" speak for the whole pattern).

    >>> sorted(optional_words(r"dpkg was interrupted, you must manually run '(sudo )?dpkg --configure -a'"))
    ['sudo']
    >>> sorted(optional_words(r"Curl error \(7\): (Couldn't|Could not|Failed to) connect to"))
    []
    """
    text = _ESCAPE_OR_CLASS.sub(" ", pattern)
    found: set[str] = set()
    while True:
        m = _GROUP.search(text)
        if m is None:
            break
        if m.group(2):
            found.update(pattern_words(m.group(1).replace("|", " ")))
            text = text[: m.start()] + " " + text[m.end() :]
        else:
            text = text[: m.start()] + " " + m.group(1) + " " + text[m.end() :]
    return {w for w in found if not w.startswith("#")} - set(pattern_words(text))


_ALTERNATION = re.compile(r"\((?:\?:)?([^()]*\|[^()]*)\)")


def code_demands(pattern: str) -> list[frozenset[str]]:
    r"""The codes a failure must show for the pattern to speak for it: each set is "one of these".

    Codes in an alternation are alternatives; the others are all required.

    >>> code_demands(r"Curl error \((35|51|77)\)") == [frozenset({"#35", "#51", "#77"})]
    True
    >>> sorted(map(sorted, code_demands(r"repomd\.xml: \[Errno 14\] HTTPS? Error 404")))
    [['#14'], ['#404']]
    """
    demands: list[frozenset[str]] = []
    for m in _ALTERNATION.finditer(pattern):
        alternatives = frozenset(c for branch in m.group(1).split("|") for c in pattern_codes(_literal(branch)))
        if alternatives:
            demands.append(alternatives)
    rest = _ALTERNATION.sub(" ", pattern)
    demands.extend(frozenset({c}) for c in sorted(pattern_codes(_literal(rest))))
    return demands


# Words that place a failure in a package manager's or a repository's world (matched on the raw text:
# the normaliser turns URLs into <url>, and a repository URL says "repodata" or "dists").
# Words only a system package manager's world uses; the others (a repository, a mirror, packages, gpg) are
# also a language package manager's (pip's "Could not install packages", npm's "repository").
_SYSTEM_CONTEXT = (
    r"repodata|repomd|/dists/|inrelease|metalink|baseurl|\.rpm\b|\.deb\b"
    r"|release file|sources\.list|subscription management|entitlement|\brhc\b"
    r"|\bdb5 error|\bdbenv\b|\brpmdb\b"  # rpm's Berkeley DB and its database
    r"|unable to verify server's identity"  # subscription-manager's TLS failure (python-rhsm)
)
_CONTEXT = re.compile(
    _SYSTEM_CONTEXT + r"|\brepo(?:s|sitory|sitories|_\w+)?\b|mirror|\bpackages?\b|keyring|gpg", re.IGNORECASE
)
_STRICT_CONTEXT = re.compile(_SYSTEM_CONTEXT, re.IGNORECASE)
_PACKAGE_MODULES = frozenset({"package", "package_facts"})


def package_context(text: str, module: str | None = None) -> bool:
    """Whether a failure shows a package manager or a repository (a tool, its module, or repository words).

    >>> package_context("curl: (7) Failed to connect to app.example.com port 8443"), package_context("x", "apt")
    (False, True)
    >>> package_context("https://m.example.com/el9/repodata/repomd.xml: [Errno 14] curl#7 - connection refused")
    True
    >>> package_context("E: Die Paketliste oder die Statusdatei konnte nicht eingelesen oder geöffnet werden.")
    True
    """
    short = module.rsplit(".", 1)[-1] if module else None
    if module_family(module) or short in _PACKAGE_MODULES or _shows_packages(text[:16000]):
        return True
    english = translate.english(text[:16000])  # a tool's message in another language, read in English
    return english is not None and _shows_packages(english.text)


def _shows_packages(text: str) -> bool:
    """A system package manager's name, or repository words; when the text names a language package manager
    (pip, npm, gem ...) and no system one, only the words a system package manager alone uses count.

    >>> _shows_packages("pip: Could not install packages: 407 Proxy Authentication Required")
    False
    >>> _shows_packages("pip ... 407 Proxy Authentication Required"), _shows_packages("dnf: 407 ... from repo")
    (False, True)
    """
    named = families(text)
    if named - {"lang"}:
        return True
    return (_STRICT_CONTEXT if named else _CONTEXT).search(text) is not None


def about_packages(samples: Iterable[str]) -> bool:
    """Whether every one of an entry's samples shows a package manager or a repository (and there is one).

    >>> about_packages(["Curl error (6): Couldn't resolve host name for https://m.example/repodata/repomd.xml"])
    True
    >>> about_packages([]), about_packages(["curl: (6) Could not resolve host: app"])
    (False, False)
    """
    texts = list(samples)
    return bool(texts) and all(package_context(t) for t in texts)


# Lines Ansible wraps around every failure of a kind (a command's rc, a module's crash): they say how it
# failed, never why, so the fallback does not count them as evidence for an entry.
_WRAPPER = re.compile(
    r"^[ \t]*(non-zero return code|MODULE FAILURE|See stdout/stderr for the exact error"
    r"|The following modules failed to execute: \S+|Shared connection to \S+ closed\.)[ \t]*$\n?",
    re.MULTILINE,
)


# Ansible's msg for a command/shell/raw task whose command ran on the host and exited non-zero.
_COMMAND_RAN = re.compile(r"^[ \t]*non-zero return code[ \t]*$", re.MULTILINE)


def command_ran(text: str) -> bool:
    r"""Whether the failure says the task's command ran on the host (so Ansible's connection to it worked).

    >>> command_ran("non-zero return code\ngit@git.example.com: Permission denied (publickey)."), command_ran("x")
    (True, False)
    """
    return _COMMAND_RAN.search(text[:16000]) is not None


# A command line that runs sudo for another user (``su - app -c 'sudo ...'``, ``sudo -u oracle ...``) or on another host
# (``ssh db-02 sudo ...``): its refusal is that user's or that host's, not the patch user's become on this host.
_FOREIGN_SUDO = re.compile(
    r"\bsu\s+(?:-\s+|-l\s+|--login\s+)?(?!root\b)[a-z_][\w.-]*\s+-c\s"
    r"|\bsudo\s+(?:-[A-Za-z]+\s+)*-u\s*(?!root\b)[a-z_][\w.-]*\s"
    r"|\bssh\s+(?:-\S+(?:\s+(?!sudo\b)[^\s-]\S*)?\s+)*[\w.@-]+\s+(?:'|\")?sudo\b"
    # sudo's own refusal names the target user: "Sorry, user %s is not allowed to execute '%s' as %s on %s."
    # (plugins/sudoers/logging.c); Ansible's become asks for root.
    r"|is not allowed to execute '[^'\n]*' as (?!root\b)[a-z_][\w.-]*(?::[\w.-]+)? on ",
    re.MULTILINE,
)


def foreign_sudo(text: str) -> bool:
    r"""Whether a command that ran (``non-zero return code``: Ansible's own become worked) shows sudo run for another
    user or on another host, whose refusal the patch user's become settings do not fix.

    >>> foreign_sudo("non-zero return code\ncmd: su - appsvc -c 'sudo -n systemctl reload app'\nsudo: no password")
    True
    >>> foreign_sudo("non-zero return code\nssh -o BatchMode=yes db-02 sudo /usr/local/sbin/check\nsudo: no tty")
    True
    >>> foreign_sudo("non-zero return code\nSorry, user patch is not allowed to execute '/bin/x' as appsvc on h.")
    True
    >>> foreign_sudo("non-zero return code\ncmd: sudo dnf -y upgrade\nsudo: a password is required")
    False
    >>> foreign_sudo("MODULE FAILURE\nsudo -H -S -n -u postgres /bin/sh -c 'echo BECOME-SUCCESS-x'\nsudo: no password")
    False
    """
    head = text[:16000]
    return command_ran(head) and _FOREIGN_SUDO.search(head) is not None


# Modules whose failure can be Ansible's own connection to the host (or the controller's ssh to it).
_CONNECTING_MODULES = frozenset(
    {"reboot", "wait_for_connection", "setup", "gather_facts", "ping", "raw", "synchronize", "script", "fetch"}
)
# How Ansible words its own connection failing (an UNREACHABLE result, or a module that reconnects).
_OWN_CONNECTION = re.compile(
    r"to the host via ssh|Data could not be sent to remote host|reached over ssh|Failed to connect to the host"
    r"|Invalid/incorrect (?:username/)?password|Authentication or permission failure"
    r"|Failed to create temporary directory\. In some cases, you may have been able to authenticate"  # its newer words
    r"|\[Errno None\] Unable to connect to port \d+ on |Failed to authenticate: "  # the paramiko plugin's own words
    r"|Data could not be sent because of ControlPersist broken pipe"  # the ssh plugin's, on a dead master socket
    r"|Host Key checking is enabled and sshpass does not support this",  # the ssh plugin's, with a password
    re.IGNORECASE,
)


# A container image build's own words around a step that failed (docker's classic builder, BuildKit, buildah/podman,
# kaniko): the command ran in the image being built, not on the host.
_IMAGE_BUILD = re.compile(
    r"^The command '/bin/sh -c .*' returned a non-zero code: \d+"
    r"|failed to solve: process \"/bin/sh -c "
    r"|^#\d+ \[[^\]\n]*\d+/\d+\] RUN "
    r"|Error: building at STEP \""
    r"|^STEP \d+/\d+: RUN "
    r"|error building image: error building stage",
    re.MULTILINE,
)


def in_image_build(text: str) -> bool:
    r"""Whether the failure is a step of a container image build: a Dockerfile's RUN ran in the image being built,
    so a fix for the host (its disk, holds, keys, repositories) is not the fix.

    >>> in_image_build("E: Unable to locate package x\nThe command '/bin/sh -c make' returned a non-zero code: 100")
    True
    >>> in_image_build("STEP 4/7: RUN dnf -y install gcc\nError: Transaction test error")
    True
    >>> in_image_build("non-zero return code\nE: Unable to locate package foo")
    False
    """
    return _IMAGE_BUILD.search(text) is not None


# Ansible's task executor wraps an exception its own code raised on the controller (not an AnsibleError: those name
# the host's failure) as "Unexpected failure during module execution: %s" (lib/ansible/executor/task_executor.py):
# a fork that failed for memory, the controller's own disk full. The host's state is not its cause.
_CONTROLLER_EXCEPTION = re.compile(r"\AUnexpected failure during module execution: ")


def on_controller(text: str) -> bool:
    """Whether the failure is an exception in Ansible's own code on the controller (the task executor's wrapper).

    >>> on_controller("Unexpected failure during module execution: [Errno 12] Cannot allocate memory")
    True
    >>> on_controller("MODULE FAILURE\\nSee stdout/stderr for the exact error\\nKilled")
    False
    """
    return _CONTROLLER_EXCEPTION.search(text.lstrip()) is not None


def elsewhere(text: str) -> str | None:
    """Why no entry's fix for the host applies, when the failure happened elsewhere (else None): a step of a
    container image build, or an exception of Ansible's own code on the controller.

    >>> elsewhere("STEP 4/7: RUN dnf -y install gcc\\nError: Transaction test error")
    'the command ran in a container image build, not on the host'
    >>> elsewhere("non-zero return code\\nE: Unable to locate package foo") is None
    True
    """
    if in_image_build(text):
        return "the command ran in a container image build, not on the host"
    if on_controller(text):
        return "the failure is an exception of Ansible's own code on the controller, not the host's"
    return None


def second_factor(text: str) -> bool:
    r"""Whether ssh accepted the user's key or password and the server asked for another factor (sshd's
    AuthenticationMethods: "with partial success", or a one-time-code prompt), which a batch run cannot answer.

    >>> second_factor('Authenticated using "publickey" with partial success.\nu@h: Permission denied (keyboard-i')
    True
    >>> second_factor("Failed to connect to the host via ssh: (u@h) Verification code: \nu@h: Permission denied")
    True
    >>> second_factor("u@h: Permission denied (publickey,password).")
    False
    """
    return _SSH_PARTIAL.search(text) is not None


def ran_on_host(text: str, module: str | None) -> bool:
    r"""Whether the task itself ran on the host and failed there, so Ansible's connection to it worked: a
    command that exited non-zero (``command_ran``), or a module that does not connect (git, get_url, uri, dnf ...)
    whose failure does not show Ansible's own connection words.

    >>> ran_on_host("Failed to download remote objects and refs: git@gl: Permission denied (publickey).", "git")
    True
    >>> ran_on_host("Failed to connect to the host via ssh: u@h: Permission denied (publickey).", "ansible.builtin.dnf")
    False
    >>> ran_on_host("u@h: Permission denied (publickey).", "ansible.builtin.wait_for_connection")
    False
    """
    if command_ran(text):
        return True
    if module and module.rsplit(".", 1)[-1] in _CONNECTING_MODULES:
        return False
    return _OWN_CONNECTION.search(text[:16000]) is None


def strip_wrapper(text: str) -> str:
    r"""The text without Ansible's wrapper lines (all of it when nothing else is left).

    >>> strip_wrapper("non-zero return code\nFailed to talk to init daemon.")
    'Failed to talk to init daemon.'
    """
    rest = _WRAPPER.sub("", text)
    return rest if rest.strip() else text


def families(text: str) -> set[str]:
    """The package-manager families a text names."""
    return {_FAMILY_OF[w] for w in _WORD.findall(text.lower()) if w in _FAMILY_OF}


# A package manager saying its whole run finished (dnf 4 and yum end a transaction with "Complete!"), and
# dpkg's last steps; after them, a task's output is another command's.
_RUN_FINISHED = re.compile(r"^Complete!\s*$", re.MULTILINE)
_DPKG_STEP = re.compile(r"^(?:Setting up|Processing triggers for) \S[^\n]*$", re.MULTILINE)
# dpkg or apt failing after such a step: the run did not finish.
_DPKG_FAILED = re.compile(r"^(?:E: |dpkg: |Errors were encountered while processing)", re.MULTILINE)
# librepo's note that one mirror failed and the next is tried ("[MIRROR] file: Curl error ..."); a download that
# failed on every mirror says "[FAILED]" or "Error".
_MIRROR_RETRY = re.compile(r"^\[MIRROR\] [^\n]*\n?", re.MULTILINE)
# The downloads all arrived and the transaction went on: dnf's download total, then its transaction check (dnf 4) or
# dnf5's transaction steps.
_DOWNLOADED = re.compile(
    r"^(?:Total\s+[\d.]+\s*[kMG]?i?B/s|Running transaction(?: check| test)?\s*$|Transaction check succeeded"
    r"|\[\d+/\d+\] (?:Verify package files|Prepare transaction))",
    re.MULTILINE,
)
# dnf and yum waiting for another process's lock (they wait until it is freed), and their transaction running.
_LOCK_WAIT = re.compile(
    r"^[ \t]*(?:Waiting for process with pid \d+ to finish\.?|Existing lock /var/run/yum\.pid: another copy is "
    r"running as pid \d+\.?|Another app is currently holding the yum lock; waiting for it to exit\.\.\.)[ \t]*\n?",
    re.MULTILINE,
)
# subscription-manager's dnf/yum plugin on a host that is not registered: printed on every run, also when the
# host's repositories come from elsewhere.
_NOT_REGISTERED = re.compile(
    r"^[ \t]*(?:Unable to read consumer identity|This system is not registered (?:with an entitlement server|to Red "
    r"Hat Subscription Management)\.[^\n]*)[ \t]*\n?",
    re.MULTILINE,
)
# What dnf and yum print only once they hold the lock: resolving, downloading, the transaction, check-update's list.
_TRANSACTION_RAN = re.compile(
    r"^(?:Running transaction\s*$|Downloading Packages:|Resolving Dependencies|Dependencies resolved\."
    r"|\S+\.(?:x86_64|noarch|i686|aarch64|ppc64le|s390x)[ \t]+\S+[ \t]+\S+[ \t]*$)",
    re.MULTILINE,
)
# The same, or the host's repositories read: dnf's "Last metadata expiration check" or a repository's metadata
# download line ("AppStream  12 MB/s | 8.3 MB  00:00"). A host whose repositories load has them from somewhere else
# than the subscription (a mirror, Satellite content, CentOS Stream): not being registered is not why the run failed.
_REPOS_READ = re.compile(
    _TRANSACTION_RAN.pattern + r"|^Last metadata expiration check:|^\S[^\n|]*\s\d+(?:\.\d+)? [kMG]?B/s \|\s+\d",
    re.MULTILINE,
)
# apt could not build its package cache in the memory it was given (APT::Cache-Start): the lines it prints after
# this ("Problem with MergeList", "could not be parsed or opened") are the cache build giving up, not damaged lists.
_APT_CACHE_FULL = re.compile(r"Dynamic MMap ran out of room[^\n,]*")  # to the end of its message
# sudo's PAM stack refused (plugins/sudoers/auth/pam.c: "PAM account management error: %s", "PAM authentication
# error: %s"): the reason it names is the cause; "a password is required" after it is sudo giving up.
_SUDO_PAM_ERROR = re.compile(r"sudo: PAM (?:account management|authentication) error: [^\n]*")
# ssh through a jump host (ProxyJump, ``-W``) whose forward to the target did not open: the jump host's "channel 0:
# open failed: <reason>" names the cause, and ssh.c's fatal "stdio forwarding failed" ends it; the
# "kex_exchange_identification: Connection closed" after it is the target session that never had a channel.
_STDIO_FORWARD_FAILED = re.compile(r"stdio forwarding failed")
# dnf's report of modules whose dependencies cannot be met (dnf/module/module_base.py,
# format_modular_solver_errors): a warning it prints on any run while such a module is in the repositories, with
# one " Problem N: ..." and "  - ..." lines per module. It fails nothing by itself; the run hides those modules'
# packages (modular filtering), so it is the cause only of a package the run then cannot find.
_MODULAR_PROBLEMS = re.compile(r"Modular dependency problems?:\n(?:[ \t]*\n)*(?:[ \t]+(?:Problem|-)[^\n]*(?:\n|$))+")
# A package a run could not find (dnf 4 and 5, yum, Ansible's dnf and yum modules).
_NOT_FOUND = re.compile(r"(?:Unable to find a match:|No match for argument:|No package) (\S+?)\.?(?=\s|$)")
# OpenSSH accepted one authentication method and the server wants another too (sshd's AuthenticationMethods,
# e.g. a key and then a one-time code): sshconnect2.c's "Authenticated using "%s" with partial success." (older:
# "Authenticated with partial success."). A "Permission denied (...)" after it refuses the second factor, which
# a batch run cannot answer; the user's key or password was accepted. So does a prompt for a one-time code.
_SSH_PARTIAL = re.compile(
    r"Authenticated (?:using \"[^\"\n]+\" )?with partial success\."
    # or a one-time code asked for by keyboard-interactive (OpenSSH 8.4+ prefixes its prompts with "(user@host) ")
    r"|\(\S+@\S+\) (?:Verification code|(?:Enter )?PASSCODE|Passcode|One-time password|OTP)[^:\n]*:"
)
_SSH_DENIED = re.compile(r"Permission denied \([^)\n]*\)\.?")
# The next command of a shell script traced (``set -x``'s ``+ cmd``, or an echoed ``$ cmd``).
_NEXT_COMMAND = re.compile(r"(?:\++|\$) \S")


# A command traced by ``set -x`` (bash's PS4 "+ "; a command substitution's "++ " lines are left alone).
_TRACE = re.compile(r"^\+ (\S[^\n]*)$", re.MULTILINE)
# What may precede the command word on a traced line.
_PREFIX = frozenset({"sudo", "env", "nice", "ionice", "nohup", "stdbuf", "timeout", "command", "exec", "time"})
# Commands that end or report a script without being its failure: when one of them is traced last, the failing
# command is not known (``+ exit 100`` after a failed step), and so nothing is cut.
_REPORTING = (
    frozenset({"exit", "return", "false", "true", ":", "set", "trap", "wait", "sleep", "local", "declare", "export"})
    | frozenset({"echo", "printf", "logger", "[", "[[", "test"})
    | frozenset({"tee", "cat", "grep", "egrep", "head", "tail", "sed", "awk", "wc"})  # a pipeline's last stage
    # what a script runs to show the state after a step failed: it reads, it does not fail the script
    | frozenset({"ls", "od", "stat", "df", "du", "dmesg", "journalctl", "free", "ps", "findmnt", "lsblk", "uname"})
    | frozenset({"id", "whoami", "hostname", "date"})
)
_REPORTING_OR_ASSIGNMENT = _REPORTING | {"="}  # ``_command_word`` of a line that only sets variables is "="
_PACKAGE_TOOLS = frozenset(
    {"apt", "apt-get", "aptitude", "dpkg", "dnf", "dnf5", "microdnf", "yum", "rpm", "zypper", "unattended-upgrade"}
)
# apt's warnings and notes: apt exits 0 after them; only its "E:" lines fail it.
APT_NOTICE = re.compile(r"^[WN]: [^\n]*\n?", re.MULTILINE)
# A script's own log levels: a line it marks informational reports a state; the line it marks an error failed it.
SCRIPT_INFO = re.compile(r"^\s*(?:\[?(?:INFO|NOTE|NOTICE)\]?:?|info:|note:)\s[^\n]*\n?", re.MULTILINE)
SCRIPT_ERROR = re.compile(r"^\s*(?:\[?(?:ERROR|FATAL|CRITICAL)\]?:?|error:|fatal:)\s", re.MULTILINE)


# Another program's error line, by the form its own error messages take: "<program>: error: ...",
# "<script>: line N: <cmd>: command not found" (bash), "<program>: ... returned 503" (an HTTP client's report) and
# curl's "curl: (N) ..." (bare, or after the script that ran it). Its program is named, so it can be told from the
# package manager's own lines.
_PROGRAM_ERROR = re.compile(
    r"^[ \t]*(?:stderr: )?(?:(?P<via>\S+): )?(?P<curl>curl): \(\d+\)"
    r"|^[ \t]*(?:stderr: )?(?P<prog>/\S+|[\w.-]+)(?:\[\d+\])?: (?:line \d+: )?(?:[\w.-]+: )?"
    r"(?:error\b|command not found|[^\n]*returned (?:HTTP )?[45]\d\d\b)",
    re.MULTILINE,
)
# Programs whose errors are the failure's own: the package managers and their helpers (FAMILIES), sudo, ssh,
# systemd; a package's name-version-release.arch (rpm's "pkg-1.0-1.el9.x86_64: error: ..."); "error:" itself.
_OWN_PROGRAMS = frozenset({"sudo", "ssh", "sshd", "systemd", "systemctl", "journalctl", "error", "warning", "fatal"})
_TRACED = re.compile(r"^\++ \S", re.MULTILINE)  # a command a script traced (set -x)
_NEVRA = re.compile(r"\.(?:x86_64|noarch|i[36]86|aarch64|ppc64le|s390x|amd64|arm64|all|src)$")


def later_failure(rest: str, *, network: bool = False, step: bool = False) -> str | None:
    r"""The first error line in ``rest`` (a task's output after a KB entry's message) that another program printed:
    the script went on past that message, and this program's failure is what ended the task, so the entry's fix is
    not the task's. None when there is none. Two kinds of entry may have printed a curl line themselves, so it does
    not count for them: ``network``, a generic network cause (a script testing the same proxy fails alike), and
    ``step``, a step that runs a package's own code (an rpm scriptlet's curl), unless a script is named before it
    or traced a command before it.

    >>> later_failure("\n/usr/local/sbin/notify-cmdb: curl: (7) Failed to connect to cmdb port 443")
    '/usr/local/sbin/notify-cmdb: curl: (7)'
    >>> later_failure("\n/opt/app/start.sh: line 3: java: command not found")
    '/opt/app/start.sh: line 3: java: command not found'
    >>> later_failure("\ndpkg-deb: error: paste subprocess was killed by signal"), later_failure("\nE: boom")
    (None, None)
    >>> later_failure("\n+ curl -fsS http://127.0.0.1/ready\ncurl: (22) The requested URL returned error: 503")
    'curl: (22)'
    >>> later_failure("\ncurl: (7) Failed to connect to proxy port 3128", network=True) is None
    True
    >>> later_failure("\ncurl: (7) Failed to connect", step=True), later_failure("\nx.sh: curl: (7) Failed", step=True)
    (None, 'x.sh: curl: (7)')
    """
    for m in _PROGRAM_ERROR.finditer(rest):
        if m.group("curl"):
            traced = _TRACED.search(rest, 0, m.start()) is not None  # the script ran curl itself
            if network or (step and not m.group("via") and not traced):
                continue
            return m.group(0).strip()
        prog = m.group("prog").rsplit("/", 1)[-1].lower()
        named = families(prog) | families(re.sub(r"[-_.]", " ", prog))  # dpkg-deb is dpkg's
        if prog in _OWN_PROGRAMS or named - {"lang"} or _NEVRA.search(prog):
            continue
        return m.group(0).strip()
    return None


def _command_word(line: str) -> str:
    """The program a traced line runs: ``sudo -E /usr/bin/dnf -y upgrade`` -> 'dnf'; ``rc=1`` -> '='.

    >>> _command_word("sudo -E /usr/bin/dnf -y upgrade"), _command_word("LANG=C timeout 300 apt-get -y upgrade")
    ('dnf', 'apt-get')
    >>> _command_word("rc=1"), _command_word("'[' 1 -ne 0 ']'")
    ('=', '[')
    """
    for w in (w.strip("'\"") for w in line.split()):
        if w in _PREFIX or w.startswith("-") or w.isdigit() or ("=" in w and not w.startswith("=")):
            continue  # a prefix, its options, or a variable set for the command
        return w.rsplit("/", 1)[-1]
    return "="  # only variables set: an assignment


def moved_past(text: str) -> str:
    r"""A traced script's output without what its earlier commands printed: with ``set -x`` each command is
    traced (``+ cmd``) before it runs, and what follows its trace line up to the next one is its own output. The
    script ran on past those commands, so the task failed on the last one traced: its exit code is the script's
    (with ``set -e`` it stopped there). When the last traced command only reports or ends the script (``exit``,
    ``echo``, a test), nothing is cut. When the script ran past a package manager, apt's warnings ("W:", never a
    failure of apt) are dropped too, wherever they were printed.

    >>> moved_past("non-zero return code\n+ systemctl restart app\nJob for app.service failed.\n+ app-check\nbad")
    'non-zero return code\n+ app-check\nbad'
    >>> moved_past("+ apt-get update\n+ ./check.sh\nW: GPG error: x NO_PUBKEY A1\nquorum lost")
    '+ ./check.sh\nquorum lost'
    >>> moved_past("+ dnf -y upgrade\nError: no space\n+ exit 1")[:16]
    '+ dnf -y upgrade'
    >>> moved_past("+ apt-get upgrade\nE: Could not get lock\n+ sleep 9\n+ apt-get upgrade\n+ check\nfail\n+ exit 1")
    '+ check\nfail\n+ exit 1'
    >>> moved_past("+ dnf -y upgrade\nError: no space\n+ rm -f /run/patch.lock\n+ exit 1")[:16]
    '+ dnf -y upgrade'
    """
    traces = list(_TRACE.finditer(text))
    if len(traces) < 2:
        return text
    # The last command traced that does more than report or end the script; the reporting ones after it (an echo
    # of what failed, "+ exit 2") are the script giving up on it, if anything was printed after it at all (a
    # cleanup that printed nothing, then "+ exit 1", leaves the failing command unknown).
    doing = [t for t in traces if _command_word(t.group(1)) not in _REPORTING_OR_ASSIGNMENT]
    if not doing:
        return text
    last = doing[-1]
    after = _TRACE.sub("", text[last.end() :])
    if last is not traces[-1] and not after.strip():
        return text
    word = _command_word(last.group(1))
    head = text[: traces[0].start()]
    rest = text[last.start() :]
    earlier = [t for t in traces if t.start() < last.start()]
    if word not in _PACKAGE_TOOLS and any(_command_word(t.group(1)) in _PACKAGE_TOOLS for t in earlier):
        rest = APT_NOTICE.sub("", rest)
        head = APT_NOTICE.sub("", head)
    return head + rest


def modular_warning(text: str) -> str:
    r"""``text`` without dnf's "Modular dependency problems" warning, unless the package the run could not find is
    one of the modules' it names (then those modules' filtering hid it, and the warning is the cause).

    >>> warning = "Modular dependency problems:\n\n Problem 1: conflicting requests\n  - nothing provides module(perl"
    >>> warning += ":5.26) needed by module perl-DBI:1.641:8010020191113222731:16b3ab4d.x86_64\n"
    >>> modular_warning(warning + "Complete!")
    'Complete!'
    >>> failed = warning + "Error: Unable to find a match: perl-DBI"
    >>> modular_warning(failed) == failed
    True
    """
    found = _MODULAR_PROBLEMS.search(text)
    if found is None:
        return text
    rest = text[: found.start()] + text[found.end() :]
    for name in _NOT_FOUND.findall(rest):
        if re.search(r"(?<![\w.+-])" + re.escape(name) + r"(?![\w+-]|\.\w)", found.group(0)):
            return text
    return rest


def failing_part(text: str) -> str:
    r"""The part of a task's output that failed: what follows a package manager's finished run, when the next command of
    the script is traced right after it (the header line ``non-zero return code`` kept). A mirror that timed out, a lock
    that was waited for or a kept config file before dnf's "Complete!" or dpkg's last "Setting up" are messages the tool
    got past; the task failed on the command that ran after it. Without a traced command nothing is cut: a task's stdout
    and stderr are shown one after the other, so an error can follow "Complete!" in the text and still come first.
    librepo's "[MIRROR]" retries are dropped from a text whose run finished or whose downloads all arrived (dnf's
    "Total", its transaction check), and dnf's and yum's waits for another process's lock from a run that went on to its
    transaction or listed its updates (they wait until the lock is freed), and subscription-manager's not-registered
    notice from such a run or one that read its repositories (its plugin prints it on every run of an unregistered
    host; ``_REPOS_READ``). apt's package cache that ran out
    of room ends the part: what apt printed after it is the cache build giving up. So does sudo's PAM error: the PAM
    stack refused (sssd down, access denied) and sudo's "a password is required" after it is not the cause; and ssh's
    "stdio forwarding failed": through a jump host, what ssh says of the target after it is a session that never had a
    channel. dnf's modular-dependency warning is dropped unless it names the package the run could not find
    (``modular_warning``). ssh's "Permission denied" after "with partial success" or a one-time-code prompt
    (``second_factor``) is not read: the key was accepted and a second factor refused.

    >>> failing_part("non-zero return code\nlock held; waiting\nComplete!\n+ app-check\napp: db down")
    'non-zero return code\n+ app-check\napp: db down'
    >>> failing_part("Setting up x (1) ...\nProcessing triggers for man-db\nE: Sub-process /usr/bin/dpkg returned")[:10]
    'Setting up'
    >>> failing_part("[MIRROR] a.rpm: Curl error (28): Timeout was reached\n(8/8): a.rpm\nComplete!")
    '(8/8): a.rpm\nComplete!'
    >>> failing_part("[MIRROR] a.rpm: Curl error (28): Timeout was reached\nTotal  9.8 MB/s | 611 MB\nKilled")
    'Total  9.8 MB/s | 611 MB\nKilled'
    >>> failing_part("Waiting for process with pid 41 to finish.\nRunning transaction\nerror: %post(a) failed")
    'Running transaction\nerror: %post(a) failed'
    >>> failing_part("Complete!\n"), failing_part("Complete!\nError: Transaction failed")
    ('Complete!\n', 'Complete!\nError: Transaction failed')
    >>> failing_part("E:Dynamic MMap ran out of room, E:Problem with MergeList /var/lib/apt/lists/a_Packages")
    'E:Dynamic MMap ran out of room'
    >>> failing_part("sudo: PAM account management error: Permission denied\nsudo: a password is required")
    'sudo: PAM account management error: Permission denied'
    """
    text = modular_warning(moved_past(text))
    partial = _SSH_PARTIAL.search(text)
    if partial is not None:
        text = text[: partial.end()] + _SSH_DENIED.sub("", text[partial.end() :])
    for end in (_APT_CACHE_FULL, _SUDO_PAM_ERROR, _STDIO_FORWARD_FAILED):
        found = end.search(text)
        if found is not None:
            text = text[: found.end()]
    for notice, went_on in ((_LOCK_WAIT, _TRANSACTION_RAN), (_NOT_REGISTERED, _REPOS_READ)):
        seen = max((m.end() for m in notice.finditer(text)), default=-1)  # a lock freed, a plugin's notice
        if seen >= 0 and went_on.search(text, seen):
            text = notice.sub("", text)
    if "[MIRROR] " in text:
        retried = max((m.end() for m in _MIRROR_RETRY.finditer(text)), default=-1)
        if retried >= 0 and (_RUN_FINISHED.search(text) or _DOWNLOADED.search(text, retried)):
            text = _MIRROR_RETRY.sub("", text)  # librepo tried the next mirror, and the run finished or went on
    cut = -1
    for m in _RUN_FINISHED.finditer(text):
        cut = m.end()
    last = max(_DPKG_STEP.finditer(text), key=lambda m: m.end(), default=None)
    if last is not None and last.end() > cut and _DPKG_FAILED.search(text, last.end()) is None:
        cut = last.end()
    if cut < 0:
        return text
    tail = text[cut:].lstrip("\n")
    if _NEXT_COMMAND.match(tail) is None:
        return text  # no command traced after it: stdout and stderr may come in either order
    head = "non-zero return code\n" if command_ran(text[:cut]) and not command_ran(tail) else ""
    return head + tail


def family(text: str) -> str | None:
    """The one package-manager family a text names, or None (none, or more than one)."""
    found = families(text)
    return found.pop() if len(found) == 1 else None


def compatible(a: str, b: str) -> bool:
    """Families that may share a cause: the same one, or zypper and rpm (zypper runs on rpm).

    >>> compatible("zypp", "rpm"), compatible("deb", "rpm")
    (True, False)
    """
    return a == b or {a, b} == {"zypp", "rpm"}


def module_family(module: str | None) -> str | None:
    """The family of an Ansible module name: ``ansible.builtin.dnf`` -> 'rpm'; generic modules -> None.

    >>> module_family("ansible.builtin.apt"), module_family("dnf"), module_family("ansible.builtin.command")
    ('deb', 'rpm', None)
    """
    if not module:
        return None
    short = module.rsplit(".", 1)[-1]
    return {
        "dnf": "rpm",
        "yum": "rpm",
        "dnf5": "rpm",
        "rpm_key": "rpm",
        "yum_repository": "rpm",
        "redhat_subscription": "rpm",
        "apt": "deb",
        "apt_key": "deb",
        "apt_repository": "deb",
        "dpkg_selections": "deb",
        "zypper": "zypp",
        "zypper_repository": "zypp",
    }.get(short)

# ruff: noqa: E501  (regex tables read better one alternative per line than split mid-pattern)
"""Patch options in plain words (README §1): reboot policy, security only, exclusions, packages, batch size.

Each reader finds its phrase, returns the value and the text with the phrase cut
out, so what is left can go to target resolution.

>>> read_serial("patch web two at a time")
(2, 'patch web ')
>>> read_reboot("patch it and do not reboot")[0]
'never'
>>> read_excludes("patch db-stg-01, exclude the kernel and postgresql* packages", lambda w: False)[0]
['kernel*', 'postgresql*']
>>> read_packages("update only openssl and openssh on the prod web servers", lambda w: False)[0]
['openssh', 'openssl']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agent.reader.lexicon import singulars
from agent.reader.numbers import NUMBER, to_int
from agent.reader.words import V

_I = re.IGNORECASE
Targetish = Callable[[str], bool]  # whether a word names hosts (a target), not a package
_NOUN = r"(?:hosts?|servers?|machines?|nodes?|boxes|boxen|vms?|instances?)"

# --- batch size ---------------------------------------------------------
_SERIAL: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(r"\b(\d{1,3})\s*(?:%|percent)\s*(?:of\s+(?:the\s+)?\w+\s+)?(?:at a time|per batch|at once)", _I),
        "pct",
    ),
    (
        re.compile(
            r"\b(?:in\s+)?(?:batch(?:es)?|groups?|waves?|chunks?)\s+(?:size\s+)?(?:of\s+)?(\d{1,3})\s*(?:%|percent)", _I
        ),
        "pct",
    ),
    (re.compile(r"\bbatch size\s*(?:of\s+|=\s*|:\s*)?(\d{1,3})\s*(?:%|percent)", _I), "pct"),
    (
        re.compile(r"\b(?:in\s+)?(\d{1,3})\s*(?:%|percent)\s+(?:batch(?:es)?|waves?|chunks?|increments?|steps?)\b", _I),
        "pct",
    ),
    (
        re.compile(
            r"\b(?:serially|sequentially|in series|(?:one|1) by (?:one|1)|(?:one|1)-by-(?:one|1)|one after (?:the )?(?:other|another))\b",
            _I,
        ),
        1,
    ),
    (
        re.compile(
            rf"\b(?:no more than\s+|at most\s+|max(?:imum)?\s+(?:of\s+)?)?({NUMBER})\s+(?:{_NOUN}\s+|of (?:them|those|these|the hosts|the servers)\s+)?(?:at a time|at once|in parallel|concurrently|per batch)",
            _I,
        ),
        "n",
    ),
    (
        re.compile(
            rf"\b(?:in\s+)?(?:batch(?:es)?|groups?|waves?|chunks?)\s+(?:size\s+)?(?:of\s+)?({NUMBER})\b(?!\s*(?:%|percent))",
            _I,
        ),
        "n",
    ),
    (re.compile(rf"\bbatch size\s*(?:of\s+|=\s*|:\s*)?({NUMBER})\b", _I), "n"),
    (re.compile(r"\b(?:all at once|all in parallel|in parallel|simultaneously|at the same time)\b", _I), None),
]


def read_serial(text: str) -> tuple[Any, str]:
    """Batch size: 1, N, "N%", None (all at once), or ``...`` when not mentioned."""
    for pattern, kind in _SERIAL:
        m = pattern.search(text)
        if not m:
            continue
        rest = text[: m.start()] + text[m.end() :]
        if kind == "pct":
            return f"{int(m.group(1))}%", rest
        if kind == "n":
            return to_int(m.group(1)), rest
        return kind, rest
    return ..., text


# --- reboot -------------------------------------------------------------
_RB = r"(?:re-?boot|restart|bounce)\w*"
_REBOOT: list[tuple[re.Pattern[str], str]] = [
    # "reboot never", "reboot: no", "reboots=off", "no reboots", "reboot policy: never"
    (re.compile(rf"\b{_RB}(?:\s+policy)?\s*[:=]?\s*(?:never|no|none|off|false|disabled|forbidden)\b", _I), "never"),
    (re.compile(rf"\b{_RB}(?:\s+policy)?\s*[:=]?\s*(?:if[- _]needed|if required|auto|as needed)\b", _I), "if_needed"),
    (re.compile(rf"\b{_RB}(?:\s+policy)?\s*[:=]\s*(?:always|yes|true|on|forced?)\b", _I), "always"),
    (
        re.compile(
            rf"\b(?:do\s*n[o']?t|don't|dont|do not|never|no|without(?: a)?|skip(?: the)?|avoid(?:ing)?|no need to|must not|mustn't|shouldn't|should not|not)\s+(?:\w+\s+)?{_RB}(?:\s+(?:it|them|the (?:hosts?|servers?|machines?|boxes)|anything|afterwards?))?",
            _I,
        ),
        "never",
    ),
    (re.compile(rf"\b{_RB}s?\s+(?:is\s+)?(?:not (?:allowed|needed|wanted)|forbidden)", _I), "never"),
    # "reboots are fine": allowed, not asked for
    (re.compile(rf"\b{_RB}s?\s+(?:are|is)\s+(?:fine|ok|okay|allowed|acceptable|permitted)\b", _I), "if_needed"),
    (
        re.compile(
            rf"\b(?:(?:and\s+|then\s+|,\s*)?{_RB}\s+(?:it|them|the (?:hosts?|servers?|machines?|boxes))?\s*(?:only\s+)?(?:if|when|where)\s+(?:it'?s\s+|they'?re\s+)?(?:needed|required|necessary|needs|need)\w*(?:\s+it)?|only\s+{_RB}\s+if\s+\w+)",
            _I,
        ),
        "if_needed",
    ),
    (
        re.compile(
            rf"(?:\b(?:and|then|also)\s+(?:then\s+)?|,\s*(?:then\s+)?|\bwith\s+an?\s+|\bincluding\s+an?\s+|\bfollowed by\s+an?\s+){_RB}(?:\s+(?:it|them|the (?:hosts?|servers?|machines?|boxes)|each|all))?(?:\s+(?:afterwards?|after(?:wards)?|when (?:done|finished)|once (?:done|finished|patched)|at the end))?",
            _I,
        ),
        "always",
    ),
    (
        re.compile(
            rf"\b{_RB}\s+(?:it|them|the (?:hosts?|servers?|machines?|boxes))?\s*(?:afterwards?|when (?:done|finished)|once (?:done|finished|patched)|after (?:patching|the update|updating)|after(?=\s*(?:[.!,;]|$))|at the end)",
            _I,
        ),
        "always",
    ),
    (re.compile(rf"\b(?:always|force a)\s+{_RB}", _I), "always"),
]


def read_reboot(text: str) -> tuple[str | None, str]:
    """Reboot policy words -> 'never' / 'if_needed' / 'always'; None when not mentioned."""
    for pattern, value in _REBOOT:
        m = pattern.search(text)
        if m:
            return value, text[: m.start()] + " " + text[m.end() :]
    return None, text


# --- security only ------------------------------------------------------
_SEC_FALSE = re.compile(
    r"\b(?:not (?:just|only) (?:the )?security(?: \w+)?|all (?:available )?(?:updates|patches|errata|packages)|"
    r"full (?:update|upgrade|patch(?:ing)?)|every (?:update|patch)|non-security|including non-security|"
    r"all of (?:the|them)(?= updates)|whole update)\b",
    _I,
)
_SEC_TRUE = re.compile(
    r"\b(?:(?:only|just)\s+(?:the\s+)?)?(?:(?:security|sec(?=[- ](?:only|patch|updat|fix|errata)))(?:[- ]only)?(?:\s+(?:updates?|errata|patch(?:es)?|fixes|advisories|"
    r"releases?|packages?|ones|stuff|things|bits)(?!\s+(?:for|to)\b))?|cves?(?:\s+(?:fixes|patches|updates))?|vulnerabilit(?:y|ies)(?:\s+fixes)?|"
    r"(?:rhsa|usn|dsa)s?)(?:\s+only)?\b(?!\s*(?:controls?|agents?|software|tools?|settings?|policy|policies|groups?))",
    _I,
)


def read_security(text: str) -> tuple[bool | None, str]:
    """True / False / None (not mentioned); every phrase that says it is cut ("full update ..., all updates not
    just security": all three phrases go, none is left to read as a target).

    >>> read_security("full update on web-1, all updates not just security")[1].split()
    ['on', 'web-1,']
    >>> read_security("sec patches only for the dev hosts")[0]
    True
    """
    found = False
    while m := _SEC_FALSE.search(text):
        found, text = True, text[: m.start()] + " " + text[m.end() :]
    if found:
        return False, text
    m = _SEC_TRUE.search(text)
    if m:
        return True, text[: m.start()] + " " + text[m.end() :]
    return None, text


# --- packages: exclusions and "only these" ------------------------------
# A whole word ("don" of "don't" is none), never a conjunction.
_PKG = (
    r"(?!(?:and|or|but|then|also|the|no|not|nor|skip\w*|exclud\w*|except|without|leav\w*|hold\w*|keep\w*|only|just|"
    r"on|in|for|to|at|from|with|please|re-?boot\w*|restart\w*|security|tonight|tomorrow|now|if|when|once|after|before|"
    r"until|during|as|off)\b)[a-z0-9][a-z0-9_.+*?:\[\]-]*(?![\w'’])"
)
_LIST = rf"(?:the\s+)?{_PKG}(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*|\s+\+\s+)(?:the\s+)?{_PKG})*"
_SUFFIX = r"(?:\s+(?:packages?|pkgs?|updates?|upgrades?|rpms?|debs?))"
_EXCLUDE = re.compile(
    rf"\b(?:exclude|excluding|excluded|excl\.?|skip|skipping|leave out|leaving out|hold back|holding back|hold|pin|pinning|freeze|"
    rf"do\s*n[o']?t (?:update|upgrade|touch|patch)|don't (?:update|upgrade|touch|patch)|do not (?:update|upgrade|touch|patch)|"
    rf"without (?:updating|upgrading|touching)|not (?:updating|upgrading|touching)|apart from|but not|except(?: for)?|without|no)\s+"
    rf"(?:(?:everything|anything|all|any|packages?)\s+(?:named|called|matching|like)\s+)?(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?(?:\s+alone)?",
    _I,
)
# "keep the kernel", "hold off on kernel updates", "freeze the kernel": the kernel stays as it is
_KEEP_KERNEL = re.compile(
    r"\b(?:keep|hold(?:\s+off)?(?:\s+on)?|hold\s+back|freeze|pin|leave)\s+(?:the\s+)?kernels?"
    r"(?:\s+(?:updates?|upgrades?|packages?|alone|as(?: it)?[- ]is|unchanged|untouched|where it is|pinned|held))?"
    r"(?!\s+(?:updated|current|up[- ]to[- ]date|patched))\b",
    _I,
)
_LEAVE = re.compile(
    rf"\b(?:leave|keep)\s+(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?\s+(?:alone|out|as(?: it)?[- ]is|as they are|where (?:it is|they are)|"
    rf"unchanged|untouched|pinned|held|at (?:its|their) current versions?)",
    _I,
)
_ONLY = (
    re.compile(
        rf"\b(?:only|just|solely|nothing (?:but|except|other than))\s+(?:update\s+|upgrade\s+|patch\s+|install\s+|bump\s+)?"
        rf"(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?",
        _I,
    ),
    re.compile(rf"\b(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?\s+only\b", _I),
    re.compile(
        r"\b(?P<list>[a-z0-9][a-z0-9_.+*]*(?:-[a-z0-9_.+*]+)*?)-only(?P<suffix>)\s+(?:updates?|upgrades?|patch)", _I
    ),
    # "update curl, libcurl and openssl on mon-01": the verb's object is packages when none of it names hosts
    re.compile(
        rf"\b(?:update|upgrade|patch|bump|install)\s+(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?"
        rf"(?=\s+(?:to the latest(?: versions?)?\s+)?(?:on|for|across|everywhere|in)\b)",
        _I,
    ),
    # "security patches for openssl on <host>"
    re.compile(
        rf"\b(?:(?:updates?|patch(?:es)?|fixes|errata)\s+(?:for|to)|only\s+(?:the\s+)?for)\s+(?P<list>{_LIST})(?P<suffix>{_SUFFIX})?"
        rf"(?=\s+(?:on|across|everywhere|in|to)\b)",
        _I,
    ),
)


def _items(raw: str) -> list[str]:
    parts = re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*|\s+\+\s+", raw.strip(), flags=_I)
    items = [re.sub(r"^the\s+", "", p.strip(), flags=_I).lower().rstrip(".:") for p in parts]
    return [i for i in items if i]


def _packageish(items: list[str], suffix: str | None, targetish: Targetish) -> bool:
    """Whether a list of words names packages: none of them is a target word of this inventory (a "packages"
    suffix lets the kernel through: "skip kernel packages")."""
    if not items or any(
        i in V.stopwords or i in V.package_words or i in V.verbs or i in V.never_packages or V.fillers.fullmatch(i)
        for i in items
    ):
        return False  # "actually only web-2", "upgrade pkgs on X", "just tell me": a filler or verb is never a package
    said = bool(suffix and re.search(r"\b(?:packages?|pkgs?|rpms?|debs?)\b", suffix, _I))
    return not any(targetish(i) and not said for i in items)  # "only the vault package": the noun says so


def _kernel(item: str) -> str:
    return "kernel*" if item in ("kernel", "kernels") else item


def read_excludes(text: str, targetish: Targetish) -> tuple[list[str], str]:
    """Packages to leave alone ("skip the kernel" -> kernel*; others as written). A word the inventory knows as
    a target ("except redis" where redis is a group) is left for the target reader.

    >>> read_excludes("patch prod except redis and web-1", lambda w: w == "web-1")[0]
    []
    >>> read_excludes("patch prod except redis", lambda w: False)[0]
    ['redis']
    >>> read_excludes("patch dev, keep the kernel", lambda w: False), read_excludes("hold off on kernel updates", str)[0]
    ((['kernel*'], 'patch dev,  '), ['kernel*'])
    """
    found: list[str] = []
    rest = text
    while m := _KEEP_KERNEL.search(rest):
        found, rest = ["kernel*"], rest[: m.start()] + " " + rest[m.end() :]
    for pattern in (_EXCLUDE, _LEAVE):
        while True:
            for m in pattern.finditer(rest):
                items = _items(m.group("list"))
                word = m.group(0).split()[0].lower()
                kernel_only = all(i.startswith("kernel") for i in items)
                held = word in ("hold", "holding", "pin", "pinning", "freeze")  # hosts are never held: packages
                # "no"/"without" + a bare word is rarely a package ("no rush"): it needs "packages", the kernel,
                # or a package glob.
                verb = m.group(0).split()[1].lower() if len(m.group(0).split()) > 1 else ""
                weak = (  # after another package exclusion ("no kernel, no glibc") a bare word is one too
                    not found
                    and word in ("no", "without")
                    and verb not in ("touching", "updating", "upgrading")
                    and not (m.group("suffix") or kernel_only or all("*" in i for i in items))
                )
                if not weak and not held and _continues_target(rest, m.end(), items[-1], targetish):
                    continue
                suffix = m.group("suffix") or (" packages" if held else None)
                if not weak and (kernel_only or _packageish(items, suffix, targetish)):
                    found += [_kernel(i) for i in items]
                    rest = rest[: m.start()] + " " + rest[m.end() :]
                    break
            else:
                break
    return sorted(set(found)), rest


def _continues_target(text: str, end: int, last: str, targetish: Targetish) -> bool:
    """Whether the words after a list make its last item a target: "except the load balancers",
    "except the nginx servers"."""
    nxt = re.match(r"\s+([\w-]+)", text[end:])
    if nxt is None:
        return False
    word = nxt.group(1).lower()
    return targetish(f"{last} {word}") or any(f in V.heads for f in singulars(word))


def read_packages(text: str, targetish: Targetish) -> tuple[list[str], str]:
    """Update only these packages ("only openssl and openssh"); "only the staging ones" is a target."""
    for pattern in _ONLY:
        for m in pattern.finditer(text):
            items = _items(m.group("list"))
            if pattern is _ONLY[3] and re.search(r"\bthe\s+[a-z]+[^s\W]s\b", m.group("list"), _I):
                continue  # "patch the zookeepers in prod": plural things after "the" are hosts, not packages
            if _packageish(items, m.group("suffix"), targetish) and not _continues_target(
                text, m.end(), items[-1], targetish
            ):
                verb = " update " if re.search(r"\b(?:update|upgrade|patch|install)\b", m.group(0), _I) else " "
                return sorted(set(items)), text[: m.start()] + verb + text[m.end() :]
    return [], text

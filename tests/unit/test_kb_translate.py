"""Failures in another language are read through the tools' own translations (kb/analysis/translate.py)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.analysis.catalogs import lang_of, parse_po, relevant
from kb.analysis.matcher import CompiledKb
from kb.analysis.translate import CATALOG, Message, Translator, parse, read_catalog, shared
from kb.calibrate import MemoryKb
from kb.store.seedfile import load_file

HEADER, MESSAGES = read_catalog(CATALOG)


def _fill(fmt: str, values: dict[str, str]) -> str:
    return "".join(p.literal + (values.get(p.key, "?") if p.key else "") for p in parse(fmt))


def test_the_catalogue_names_each_source_and_its_commit_and_every_message_reads_back() -> None:
    releases = [r for where in HEADER["sources"].values() for r in where]
    assert releases and all(re.fullmatch(r"\S+/\S+ \S+ [0-9a-f]{40}", r) for r in releases), releases
    usable = [m for m in MESSAGES if m.usable()]
    assert len(usable) == len(MESSAGES) > 1000
    assert {"de", "fr", "es", "ja", "zh_CN", "pt_BR"} <= {m.lang for m in MESSAGES}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _adjacent(fmt: str) -> bool:
    parts = parse(fmt)
    return any(not p.literal.strip() and p.key for p in parts[1:])


@pytest.mark.parametrize("lang", ["de", "fr", "es", "it", "ja", "zh_CN", "pt_BR", "ru"])
def test_each_translated_message_alone_reads_back_to_its_english_original(lang: str) -> None:
    # Each message with its own values, alone: the translator gives the English original with the same values
    # (whatever order the translation put them in). Where two originals share one translation ("unable to read
    # %s" / "Unable to read %s"), either is right, and where two releases word it alike with the arguments in
    # another order, either order; where two placeholders touch, the values stay in order.
    t = shared()
    # Translations with the same words (one release's "%2$s", another's "%2s"; "%.250s" / "%s") are one shape.
    shapes: dict[tuple[str, ...], tuple[str, set[str], set[str]]] = {}
    for m in MESSAGES:
        if m.lang == lang:
            shape = tuple(p.literal.lower() for p in m.parts)
            group = shapes.setdefault(shape, (m.msgstr, set(), set()))
            group[1].add(m.msgid)
            group[2].add(m.msgstr)
    wrong = []
    for msgstr, msgids, twins in shapes.values():
        keys = [p.key for p in parse(msgstr) if p.key]
        values = {k: f"V{k}x9" for k in keys}
        got = t.english(_fill(msgstr, values))
        text = _flat(got.text).lower().replace(" ", "") if got else ""
        orders = [values]
        if len(twins) > 1:  # releases that word it alike may order the arguments differently
            orders += [dict(zip(keys, perm, strict=True)) for perm in itertools.permutations(values.values())]
        if any(text == _flat(_fill(i, v)).lower().replace(" ", "") for i in msgids for v in orders[:24]):
            continue
        # Where two placeholders touch in the original or the translation (sudo's de "Die Datei %s%s" for "%s/%s"),
        # the values cannot be told apart: they stay together, in order.
        if any(_adjacent(i) for i in [*msgids, msgstr]) and "".join(values.values()).lower() in text:
            continue
        wrong.append((msgstr, sorted(msgids), text))
    assert not wrong, wrong[:5]


def test_a_german_apt_failure_gets_the_english_entry_and_says_it_was_translated() -> None:
    text = "'/usr/bin/apt-get dist-upgrade' failed: E: Sie haben nicht genug Platz in /var/cache/apt/archives/.\n"
    kb = MemoryKb().kb
    assert kb.match(text, "ansible.builtin.apt") is None  # the English patterns alone do not read it
    reading = kb.read(text, "ansible.builtin.apt")
    assert reading.match is not None and reading.match.slug == "apt-no-space-left"
    assert reading.match.via == "translated (de)" and reading.langs == ("de",)
    assert "You don't have enough free space in /var/cache/apt/archives/." in reading.text


def test_a_japanese_rpm_disk_summary_and_a_french_sudo_refusal() -> None:
    kb = MemoryKb().kb
    ja = next(
        m
        for m in MESSAGES
        if m.lang == "ja" and m.msgid.startswith("installing package %s needs") and "space" in m.msgid
    )
    values = {"1": "kernel-core-5.14.0-611.el9.x86_64", "2": "118", "3": "M", "4": "/boot"}
    text = "non-zero return code\n" + _fill(ja.msgstr, values)
    reading = kb.read(text, "ansible.builtin.command")
    assert reading.match is not None and reading.match.slug in ("boot-partition-full", "dnf-no-space-left")
    fr = next(m for m in MESSAGES if m.tool == "sudo" and m.lang == "fr" and "is not in the sudoers file" in m.msgid)
    refused = "Module invocation had junk after the JSON data: sudo: " + _fill(fr.msgstr, {"1": "svc_ansible"})
    got = kb.read(refused, "ansible.builtin.dnf")
    assert got.match is not None and got.match.slug == "become-not-in-sudoers", got.text


def test_the_c_librarys_error_text_in_a_tools_translated_message_reads_back_too() -> None:
    # dpkg's own words come from dpkg's catalogue, the errno text after them from glibc's (strerror).
    libc = {m.lang: m.msgstr for m in MESSAGES if m.tool == "glibc" and m.msgid == "No space left on device"}
    dpkg = {m.lang: m.msgstr for m in MESSAGES if m.tool == "dpkg" and m.msgid == "failed to write"}
    kb = MemoryKb().kb
    for lang in ("es", "de", "fr"):
        text = (
            "non-zero return code\ndpkg: error processing archive /var/cache/apt/archives/linux-modules-6.8.0-51_amd64.deb"
            f" (--unpack):\n cannot copy extracted data for './lib/modules/6.8.0-51/kernel/fs/xfs/xfs.ko' to "
            f"'/lib/modules/6.8.0-51/kernel/fs/xfs/xfs.ko.dpkg-new': {dpkg[lang]} ({libc[lang]})"
        )
        reading = kb.read(text, "ansible.builtin.shell")
        assert reading.match is not None and reading.match.slug == "apt-no-space-left", (lang, reading.text)
        assert "failed to write (No space left on device)" in reading.text
    # Only the C library's error texts are kept: its own programs' messages are too generic to read back.
    assert {m.msgid for m in MESSAGES if m.tool == "glibc"} >= {"Permission denied", "Read-only file system"}
    assert not any(m.tool == "glibc" and ("%" in m.msgid or m.msgid[:1].islower()) for m in MESSAGES)


def test_a_message_around_a_c_library_error_text_is_read_whole_though_the_inner_text_has_more_fixed_words() -> None:
    apt = next(m for m in MESSAGES if m.tool == "apt" and m.lang == "fr" and m.msgid == "Could not get lock %s")
    libc = next(
        m for m in MESSAGES if m.tool == "glibc" and m.lang == "fr" and m.msgid == "Resource temporarily unavailable"
    )
    assert len(libc.msgid) > len(apt.msgid.replace("%s", ""))  # the inner text alone would be read first
    text = "E: " + _fill(apt.msgstr, {"1": f"/var/lib/dpkg/lock-frontend - open (11: {libc.msgstr})"})
    reading = MemoryKb().kb.read(text, "ansible.builtin.apt")
    assert (
        "Could not get lock /var/lib/dpkg/lock-frontend - open (11: Resource temporarily unavailable)" in reading.text
    )
    assert reading.match is not None and reading.match.slug == "apt-dpkg-lock-held"


def test_a_short_message_in_a_wide_script_inside_another_messages_placeholder_reads_back_too() -> None:
    # apt's "Failed to fetch %s  %s" with its reason in the second placeholder: zh_CN's "Hash Sum mismatch" is
    # 10 characters, fewer than MIN_LITERAL, but 20 bytes; the value is read as a message of its own.
    fetch = {m.lang: m.msgstr for m in MESSAGES if m.tool == "apt" and m.msgid == "Failed to fetch %s  %s"}
    mismatch = {m.lang: m.msgstr for m in MESSAGES if m.tool == "apt" and m.msgid == "Hash Sum mismatch"}
    kb = MemoryKb().kb
    short = sorted(lang for lang in fetch.keys() & mismatch.keys() if len(mismatch[lang]) < 12)
    assert "zh_CN" in short, short
    for lang in short:
        url = "http://mirror.example.net/debian/dists/bookworm-updates/main/binary-amd64/Packages.xz"
        text = "E: " + _fill(fetch[lang], {"1": url, "2": mismatch[lang]})
        reading = kb.read(text, "ansible.builtin.apt")
        assert f"Failed to fetch {url}  Hash Sum mismatch" in reading.text, (lang, reading.text)
        assert reading.match is not None and reading.match.slug == "apt-hash-sum-mismatch"


def test_text_without_a_catalogue_message_is_left_alone() -> None:
    t = shared()
    assert t.english("Fehler beim Lesen der Konfiguration von meinapp: unbekannte Option 'x'") is None
    assert t.english("frobnicator exploded with code 77") is None


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_any_text_reads_without_error_and_a_reading_names_its_languages(text: str) -> None:
    got = shared().english(text)
    assert got is None or (isinstance(got.text, str) and got.langs)


def test_placeholders_keep_their_arguments_by_position_name_and_format_style() -> None:
    assert [p.key for p in parse("%2$s und %1$s")] == ["2", "1", None]
    assert [p.key for p in parse("{} und {name} und {0}")] == ["1", "name", "1", None]
    assert [p.key for p in parse("%1% von %2%")] == ["1", "2", None]
    assert [p.key for p in parse("%(pkg)s braucht %d MB")] == ["pkg", "1", None]
    t = Translator([Message("x", "de", "installing package %s needs %s", "%2$s braucht die Installation von %1$s")])
    assert t.english("42 MB braucht die Installation von foo").text == "installing package foo needs 42 MB"
    # Too generic to recognise: never read back.
    assert not Message("x", "de", "Error: %s", "Fehler: %s").usable()
    assert not Message("x", "de", "%s needs %s", "%s braucht").usable()  # lost a placeholder


def test_po_files_are_read_as_gettext_writes_them(tmp_path: Path) -> None:
    po = tmp_path / "plugins_sudoers_po__fr.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.c:1\n#, c-format\nmsgid "%s is not in the sudoers file"\nmsgstr "%s n\'apparaît pas dans le fichier sudoers"\n\n'
        '#, fuzzy\nmsgid "unsure %s"\nmsgstr "peut-être %s"\n\n'
        '#~ msgid "old %s"\n#~ msgstr "vieux %s"\n\n'
        'msgid "one file %s"\nmsgid_plural "%d files %s"\nmsgstr[0] "un fichier %s"\nmsgstr[1] "%d fichiers "\n"%s"\n',
        encoding="utf-8",
    )
    assert lang_of(po) == "fr" and lang_of(tmp_path / "pt_BR.po") == "pt_BR"
    assert parse_po(po.read_text(encoding="utf-8")) == [
        ("%s is not in the sudoers file", "%s n'apparaît pas dans le fichier sudoers"),
        ("one file %s", "un fichier %s"),
        ("%d files %s", "%d fichiers %s"),
    ]


def test_only_messages_the_kb_knows_are_kept() -> None:
    _, entries = load_file(Path("kb/seed.yaml"))
    kb = CompiledKb.from_entries(entries)
    corpus = "E: You don't have enough free space in /var/cache/apt/archives/."
    assert relevant("You don't have enough free space in %s.", corpus)
    assert not relevant("Unable to parse package file %s (%d)", corpus)
    assert relevant("%s is not in the sudoers file", "", kb)  # a pattern knows it
    assert not relevant("Warning:", corpus + " Warning:")  # too generic


def test_needs_restarting_in_the_hosts_language_reads_back_through_dnf_plugins_cores_catalogue() -> None:
    core = {m.lang: m.msgstr for m in MESSAGES if m.tool == "dnf-plugins-core" and m.msgid.startswith("Core libraries")}
    reboot = {m.lang: m.msgstr for m in MESSAGES if m.tool == "dnf-plugins-core" and m.msgid.startswith("Reboot is")}
    assert {"de", "fr", "ja"} <= core.keys() & reboot.keys()
    kb = MemoryKb().kb
    for lang in ("de", "fr", "ja"):
        text = f"non-zero return code\n{core[lang]}\n  * kernel-core\n  * glibc\n\n{reboot[lang]}"
        reading = kb.read(text, "ansible.builtin.command")
        assert "Reboot is required to fully utilize these updates." in reading.text, (lang, reading.text)
        assert reading.match is not None and reading.match.slug == "reboot-required-exit-code", lang

"""Rules the reader needs for fleets named <site>-<role>-<env><nn>: site, role and environment groups that
intersect, short role words, natural ranges, and the options chat shorthand carries.

The fleet below is made up (no eval set uses these names), so a rule that only knew one inventory fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.inventory import Inventory
from tests.unit.test_agent_properties import intent

FLEET = Inventory.parse(
    """
all:
  children:
    proxies:
      hosts:
        osl2-px-l01: {env: live, site: osl2, role: px, os: alma9}
        osl2-px-l02: {env: live, site: osl2, role: px, os: alma9, critical: true}
        mad5-px-q01: {env: qa, site: mad5, role: px, os: alma8}
    es:
      hosts:
        osl2-es-l01: {env: live, site: osl2, role: es, os: debian12}
        mad5-es-q01: {env: qa, site: mad5, role: es, os: debian12}
        mad5-es-q02: {env: qa, site: mad5, role: es, os: debian11}
    jump:
      hosts:
        osl2-jump-01: {env: live, site: osl2, role: jump, os: debian12, critical: true}
        mad5-jump-01: {env: qa, site: mad5, role: jump, os: debian12}
    live:
      hosts: {osl2-px-l01: {}, osl2-px-l02: {}, osl2-es-l01: {}, osl2-jump-01: {}}
    qa:
      hosts: {mad5-px-q01: {}, mad5-es-q01: {}, mad5-es-q02: {}, mad5-jump-01: {}}
    osl2:
      hosts: {osl2-px-l01: {}, osl2-px-l02: {}, osl2-es-l01: {}, osl2-jump-01: {}}
    mad5:
      hosts: {mad5-px-q01: {}, mad5-es-q01: {}, mad5-es-q02: {}, mad5-jump-01: {}}
"""
)


def _intent(*turns: str) -> dict[str, Any]:
    got: dict[str, Any] = intent(FLEET, *turns)
    return got


@pytest.mark.parametrize(
    ("text", "security_only"),
    [
        ("patch mad5-es-q01, sec only", True),
        ("sec updates for mad5-es-q01", True),
        ("full upgrade of mad5-es-q01, every update, not only security", False),
    ],
)
def test_security_shorthand_and_repeated_all_updates(text: str, security_only: bool) -> None:
    got = _intent(text)
    assert (got["action"], got["hosts"], got["security_only"]) == ("patch", ["mad5-es-q01"], security_only)


def test_every_all_updates_phrase_is_an_option_never_a_target() -> None:
    """'all updates' said twice: the second 'all' must not select every host."""
    got = _intent("full update on mad5-es-q02, all updates not just security")
    assert (got["hosts"], got["security_only"]) == (["mad5-es-q02"], False)


@pytest.mark.parametrize(
    ("text", "serial"),
    [
        ("patch the qa proxies and es boxes 1 by 1", 1),
        ("patch the qa es boxes one-by-one", 1),
        ("patch every live host in 25% batches", "25%"),
        ("patch every live host, 10 percent waves", "10%"),
    ],
)
def test_batch_shorthand(text: str, serial: int | str) -> None:
    assert _intent(text)["serial"] == serial


QA_PX_JUMP = ["mad5-jump-01", "mad5-px-q01"]


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        # a restriction after a comma applies to everything named before it, never joins it
        ("patch the proxies and the es boxes, live only", ["osl2-es-l01", "osl2-px-l01", "osl2-px-l02"]),
        ("patch the proxies and the jump hosts, only in qa", QA_PX_JUMP),
        ("patch the proxies and the jump hosts qa only", QA_PX_JUMP),
        ("patch the proxies and the jump hosts, but qa only", QA_PX_JUMP),
        # "but" + a target excludes it
        ("patch everything in mad5 but the jump boxes", ["mad5-es-q01", "mad5-es-q02", "mad5-px-q01"]),
        ("patch the osl2 hosts but the critical ones", ["osl2-es-l01", "osl2-px-l01"]),
        # a glob before a host noun is restricted by what follows
        ("patch all the *-es-* hosts in mad5", ["mad5-es-q01", "mad5-es-q02"]),
        # a filler inside a restriction keeps it a restriction
        ("patch the es servers that are still on debian11", ["mad5-es-q02"]),
    ],
)
def test_set_algebra_never_widens(text: str, hosts: list[str]) -> None:
    got = _intent(text)
    assert (got["action"], got["hosts"]) == ("patch", hosts)


def test_an_unknown_cluster_noun_beside_a_known_phrase_is_asked_about() -> None:
    assert _intent("patch the cassandra ring and the live proxies")["action"] == "clarify"


def test_leave_out_then_just_the_ones_narrows() -> None:
    got = _intent(
        "patch mad5-es-q01 and osl2-es-l01", "leave out osl2-es-l01, just the qa one", "and reboot it afterwards"
    )
    assert (got["action"], got["hosts"], got["reboot"]) == ("patch", ["mad5-es-q01"], "always")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ls the mad5 hosts that are not live", ("list_hosts", None)),
        ("job 77 went red, why?", ("explain", 77)),
        ("wtf happened in job 12", ("explain", 12)),
        ("did job 12 finish?", ("status", 12)),
    ],
)
def test_chat_words_for_listing_and_jobs(text: str, expected: tuple[str, int | None]) -> None:
    got = _intent(text)
    assert (got["action"], got.get("job")) == expected
    if got["action"] == "list_hosts":
        assert got["hosts"] == ["mad5-es-q01", "mad5-es-q02", "mad5-jump-01", "mad5-px-q01"]


def test_a_software_name_names_its_role_group_only_where_the_inventory_has_one() -> None:
    got = _intent("patch the elasticsearch boxes in qa")
    assert (got["action"], got["hosts"]) == ("patch", ["mad5-es-q01", "mad5-es-q02"])
    plain = Inventory.parse("all: {children: {app: {hosts: {app-01: {}, app-02: {}}}}}")
    got = intent(plain, "patch app-01 but skip elasticsearch")
    assert (got["action"], got["hosts"], got["exclude"]) == ("patch", ["app-01"], ["elasticsearch"])


@pytest.mark.parametrize(
    "text",
    [
        "patch mad5-es-q01 through q02",
        "patch mad5-es-q01..q02",
        "patch mad5-es-q01 to es-q02",
        "patch mad5-es-q01..02",
        "patch mad5-es-q01-q02",
        "patch mad5-es-q01–02",
        "patch mad5-es-q01...q02",
    ],
)
def test_a_range_end_may_repeat_the_tail_of_the_name(text: str) -> None:
    assert _intent(text)["hosts"] == ["mad5-es-q01", "mad5-es-q02"]


@pytest.mark.parametrize("text", ["patch es-q02", "patch mad5-es-q01 through x02", "patch mad5-es-q01..s-q02"])
def test_an_instance_number_alone_or_a_foreign_range_end_is_asked_about(text: str) -> None:
    assert _intent(text)["action"] == "clarify"


def test_a_host_variable_written_before_its_value_selects_by_it() -> None:
    got = _intent("patch every host with env qa except the es tier")
    assert (got["action"], got["hosts"]) == ("patch", QA_PX_JUMP)
    assert _intent("patch the hosts with os alma9")["hosts"] == ["osl2-px-l01", "osl2-px-l02"]


@pytest.mark.parametrize(
    ("text", "hosts", "packages"),
    [
        ("only security patches for nginx on mad5-px-q01", ["mad5-px-q01"], ["nginx"]),
        ("security patches for the qa proxies", ["mad5-px-q01"], []),
    ],
)
def test_security_patches_for_a_package_keep_the_package(text: str, hosts: list[str], packages: list[str]) -> None:
    got = _intent(text)
    assert (got["action"], got["hosts"], got["packages"], got["security_only"]) == ("patch", hosts, packages, True)


def test_simulate_is_a_dry_run_never_a_package() -> None:
    got = _intent("what would change on the qa es boxes? just simulate it")
    assert (got["action"], got["hosts"], got["packages"]) == ("precheck", ["mad5-es-q01", "mad5-es-q02"], [])


def test_a_bare_number_in_a_message_about_a_job_is_the_job() -> None:
    assert _intent("has 5120 completed? (the job)") == {"action": "status", "job": 5120}
    got = _intent("patch mad5-px-q01, the job should start at 0300")
    assert (got["action"], got["not_before"]) == ("patch", "2026-11-28T03:00:00Z")


def test_wait_until_is_a_start_time_in_a_correction() -> None:
    got = _intent("reboot the qa proxies", "actually hold off until 23:30")
    assert (got["action"], got["hosts"], got["not_before"]) == ("reboot", ["mad5-px-q01"], "2026-11-27T23:30:00Z")


def test_and_the_other_one_too_adds_hosts() -> None:
    got = _intent("patch the qa es boxes", "and the qa proxy one in mad5 too")
    assert (got["action"], got["hosts"]) == ("patch", ["mad5-es-q01", "mad5-es-q02", "mad5-px-q01"])
    got = _intent("patch the mad5 hosts", "sorry, just the es ones")
    assert got["hosts"] == ["mad5-es-q01", "mad5-es-q02"]


def test_one_after_a_group_word_is_a_host_noun_restricted_by_what_follows() -> None:
    assert _intent("patch the live proxy one in osl2 that is not critical")["hosts"] == ["osl2-px-l01"]


def test_sibling_shorthand_may_repeat_the_letter_of_the_name() -> None:
    assert _intent("patch mad5-es-q01/q02")["hosts"] == ["mad5-es-q01", "mad5-es-q02"]
    assert _intent("patch mad5-es-q01/x02")["action"] == "clarify"


def test_if_needed_is_never_a_package() -> None:
    got = _intent("patch mad5-es-q01, no kernel updates, reboot only if needed")
    assert (got["exclude"], got["reboot"], got["packages"]) == (["kernel*"], "if_needed", [])


def test_leaving_the_software_of_the_named_host_alone_excludes_the_package() -> None:
    got = _intent("patch mad5-es-q01; leave elasticsearch alone")
    assert (got["action"], got["hosts"], got["exclude"]) == ("patch", ["mad5-es-q01"], ["elasticsearch"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("call off 9001", ("cancel", 9001)), ("explain the previous failure", ("explain", "last"))],
)
def test_more_job_wordings(text: str, expected: tuple[str, int | str]) -> None:
    got = _intent(text)
    assert (got["action"], got["job"]) == expected


@pytest.mark.parametrize(
    "text",
    [
        "patch osl2-px-l02, I'll sign off on it myself",
        "patch osl2-px-l02 and approve it",
        "patch osl2-jump-01, I am the second approver",
    ],
)
def test_self_approval_is_refused(text: str) -> None:
    assert _intent(text)["action"] == "reject"


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("patch everything except the mad5 site", ["osl2-es-l01", "osl2-jump-01", "osl2-px-l01", "osl2-px-l02"]),
        ("patch the osl2 dc except the critical hosts", ["osl2-es-l01", "osl2-px-l01"]),
    ],
)
def test_a_site_word_is_a_host_noun(text: str, hosts: list[str]) -> None:
    assert _intent(text)["hosts"] == hosts


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("patch mad5-es-q01 tomorrow evening at 9", "2026-11-28T21:00:00Z"),
        ("patch mad5-es-q01 tonight at 11", "2026-11-27T23:00:00Z"),
        ("patch mad5-es-q01 on the 3rd", "2026-12-03T00:00:00Z"),
        ("patch mad5-es-q01 not before 21:00", "2026-11-27T21:00:00Z"),
    ],
)
def test_more_start_times(text: str, when: str) -> None:
    got = _intent(text)
    assert (got["action"], got["not_before"]) == ("patch", when)


def test_show_me_a_group_lists_it_and_pending_updates_are_a_precheck() -> None:
    assert _intent("show me the proxies")["hosts"] == ["mad5-px-q01", "osl2-px-l01", "osl2-px-l02"]
    assert _intent("show me the proxies")["action"] == "list_hosts"
    got = _intent("what's pending on mad5-es-q02?")
    assert (got["action"], got["hosts"]) == ("precheck", ["mad5-es-q02"])

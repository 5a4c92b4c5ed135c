"""Classes of request the reader must read over an inventory it was never shown (names unlike any eval set).

Each test states a class (names written apart, host-name parts, words it cannot place, shorthand, vague times,
corrections) over a small made-up fleet, so a rule that only knew one inventory's words would fail here.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.reader.message import expand_shorthand
from agent.reader.parse import parse
from core.inventory import Inventory
from tests.unit.test_agent_properties import intent

FLEET = Inventory.parse(
    """
all:
  children:
    smtpgateway:
      hosts:
        live-gw-01: {env: live, site: north}
        live-gw-02: {env: live, site: south}
        uat-gw-01: {env: uat, site: north}
    searchcluster:
      hosts:
        live-srch-01: {env: live, site: north, critical: true}
        uat-srch-01: {env: uat, site: south}
    liveenv:
      hosts: {live-gw-01: {}, live-gw-02: {}, live-srch-01: {}}
"""
)
LIVE = ["live-gw-01", "live-gw-02", "live-srch-01"]
ALL = sorted([*LIVE, "uat-gw-01", "uat-srch-01"])


def _hosts(*turns: str) -> tuple[str, list[str]]:
    got: dict[str, Any] = intent(FLEET, *turns)
    return got["action"], got.get("hosts", [])


def test_a_group_name_written_apart_is_the_group() -> None:
    assert _hosts("patch the smtp gateways in uat") == ("patch", ["uat-gw-01"])
    assert _hosts("patch the search clusters") == ("patch", ["live-srch-01", "uat-srch-01"])


def test_a_part_of_the_host_names_names_those_hosts() -> None:
    assert _hosts("reboot the srch nodes") == ("reboot", ["live-srch-01", "uat-srch-01"])
    assert _hosts("patch gw in uat") == ("patch", ["uat-gw-01"])


@pytest.mark.parametrize(
    "text",
    [
        "patch everything but the frobnicated stuff",  # an unknown word after an exclusion
        "patch the uat wibble gateways",  # an unknown word inside a group phrase
        "reboot every host exept the zork boxes",  # a slip in 'except' and an unknown word
    ],
)
def test_a_word_it_cannot_place_in_a_target_phrase_is_asked_about_never_dropped(text: str) -> None:
    assert intent(FLEET, text) == {"action": "clarify"}


def test_an_unknown_word_in_a_target_phrase_is_named_by_the_parse() -> None:
    assert parse("patch everything but the frobnicated stuff", FLEET).unknown == ["frobnicated"]
    assert parse("patch the uat wibble gateways", FLEET).loose == ["wibble"]
    assert parse("Good morning! patch live-gw-01 please", FLEET).loose == []


def test_a_slip_in_except_still_excludes() -> None:
    assert _hosts("patch all hosts exept the uat ones") == ("patch", LIVE)


def test_a_whole_machine_is_the_named_host_not_the_fleet() -> None:
    assert _hosts("restart uat-gw-01 - the whole machine, not just the daemon") == ("reboot", ["uat-gw-01"])


def test_anything_in_a_variable_value_is_excluded() -> None:
    assert _hosts("patch the whole fleet except anything in south") == (
        "patch",
        ["live-gw-01", "live-srch-01", "uat-gw-01"],
    )


def test_chat_shorthand_is_read_from_the_vocabulary() -> None:
    assert expand_shorthand("pls patch w/o kernel tmrw, atm busy") == (
        "please patch without kernel tomorrow, at the moment busy"
    )
    got = intent(FLEET, "patch uat-gw-01 w/o kernel updates tmrw first thing")
    assert got["exclude"] == ["kernel*"] and got["not_before"] == "2026-11-28T06:00:00Z"


def test_a_span_is_asked_about_not_started_now() -> None:
    assert intent(FLEET, "patch uat-gw-01 some time next week") == {"action": "clarify"}
    assert intent(FLEET, "patch uat-gw-01 in an hour and a half")["not_before"] == "2026-11-27T11:30:00Z"


def test_x_only_and_swap_in_replace_the_hosts() -> None:
    assert _hosts("patch the smtp gateways", "wait, live-gw-02 only") == ("patch", ["live-gw-02"])
    assert _hosts("reboot uat-gw-01", "swap in uat-srch-01") == ("reboot", ["uat-srch-01"])


def test_just_bump_after_a_named_host_is_a_package_even_when_it_is_a_group_name() -> None:
    got = intent(FLEET, "uat-gw-01: just bump searchcluster")
    assert got["hosts"] == ["uat-gw-01"] and got["packages"] == ["searchcluster"]
    assert _hosts("just update searchcluster") == ("patch", ["live-srch-01", "uat-srch-01"])


def test_a_package_list_ends_before_an_option() -> None:
    got = intent(FLEET, "uat-gw-01: skip kernel, hold back openjdk*, reboot afterwards")
    assert got["exclude"] == ["kernel*", "openjdk*"] and got["reboot"] == "always"


def test_advisory_ids_are_reasons_not_targets() -> None:
    got = intent(FLEET, "uat-srch-01 needs the security errata only - CVE-2031-0001 is being exploited")
    assert got["action"] == "patch" and got["hosts"] == ["uat-srch-01"] and got["security_only"] is True


def test_list_hosts_alone_lists_every_host() -> None:
    assert intent(FLEET, "list hosts") == {"action": "list_hosts", "hosts": ALL}


def test_status_and_explain_phrasings() -> None:
    assert intent(FLEET, "how's 4410 looking")["job"] == 4410
    assert intent(FLEET, "is anything running atm?")["action"] == "status"
    assert intent(FLEET, "job 4410 failed on some hosts, can you tell me why?") == {"action": "explain", "job": 4410}


def test_waiting_for_approval_cannot_be_talked_away() -> None:
    assert intent(FLEET, "patch all live hosts now, no need to wait for approval on the critical ones") == {
        "action": "reject"
    }


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("list the vault hosts", False),  # a host group named like a secret store
        ("show me the vault servers in uat", False),
        ("list qa-vault-01", False),
        ("show the vault token", True),
        ("dump the vault", True),
        ("show me the vault contents", True),
    ],
)
def test_a_vault_of_hosts_is_not_a_vault_of_secrets(text: str, refused: bool) -> None:
    from agent.policy import screen

    assert (screen(text) is not None) is refused


def test_shorthand_never_rewrites_a_name_the_inventory_has() -> None:
    inv = Inventory.parse("all: {children: {bc: {hosts: {bc-1: {}}}, other: {hosts: {ot-1: {}}}}}")
    assert expand_shorthand("patch bc w/o kernel", inv) == "patch bc without kernel"
    assert intent(inv, "patch bc w/o kernel")["hosts"] == ["bc-1"]


def test_a_weekday_abbreviation_before_a_host_noun_is_not_a_time() -> None:
    inv = Inventory.parse("all: {children: {mon: {hosts: {mon-1: {}}}, web: {hosts: {web-1: {}, web-2: {}}}}}")
    got = intent(inv, "patch all hosts but leave the mon box")
    assert got["hosts"] == ["web-1", "web-2"] and got["not_before"] is None
    assert intent(inv, "patch web-1 mon 02:00")["not_before"] == "2026-11-30T02:00:00Z"


def test_sometime_with_a_day_is_that_day() -> None:
    assert intent(FLEET, "patch uat-gw-01 sometime tomorrow")["not_before"] == "2026-11-28T00:00:00Z"
    assert intent(FLEET, "patch uat-gw-01 sometime") == {"action": "clarify"}

"""The plays and task names of patchpilot's playbooks, in run order: the one place the emulator takes them from.

A test compares this with ``playbooks/*.yml``, so the emulator's output keeps the
shape of what AWX would print for our own playbooks.
"""

from __future__ import annotations

from typing import Final

GATHER = "Gathering Facts"
FREE_SPACE = "Check free space on / and /var"
FREE_BOOT = "Check free space on /boot"
REPO_REACH = "Check repository reachability"
APPLY_DNF = "Apply updates (dnf)"
APPLY_APT = "Apply updates (apt)"
REBOOT_CHECK = "Check whether a reboot is required"
REBOOT_IF_REQUIRED = "Reboot if required"
SERVICES = "Check required services are running"
SIMULATE = "Simulate updates (check mode)"
REBOOT = "Reboot"

# playbook -> [(play name, [task names])]
PLAYBOOK_SHAPE: Final[dict[str, list[tuple[str, list[str]]]]] = {
    "patch.yml": [
        ("Pre-checks", [GATHER, FREE_SPACE, FREE_BOOT, REPO_REACH]),
        ("Patch", [APPLY_DNF, APPLY_APT, REBOOT_CHECK, REBOOT_IF_REQUIRED]),
        ("Post-checks", [SERVICES]),
    ],
    "precheck.yml": [
        ("Pre-checks", [GATHER, FREE_SPACE, FREE_BOOT, REPO_REACH, SIMULATE]),
    ],
    "reboot.yml": [
        ("Reboot", [GATHER, REBOOT, SERVICES]),
    ],
}

# Module each task runs (event_data.task_action).
TASK_ACTIONS: Final[dict[str, str]] = {
    GATHER: "ansible.builtin.gather_facts",
    FREE_SPACE: "ansible.builtin.assert",
    FREE_BOOT: "ansible.builtin.assert",
    REPO_REACH: "ansible.builtin.command",
    APPLY_DNF: "ansible.builtin.dnf",
    APPLY_APT: "ansible.builtin.script",
    REBOOT_CHECK: "ansible.builtin.script",
    REBOOT_IF_REQUIRED: "ansible.builtin.reboot",
    SERVICES: "ansible.builtin.command",
    SIMULATE: "ansible.builtin.script",
    REBOOT: "ansible.builtin.reboot",
}

DNF_OS: Final = frozenset({"rhel8", "rhel9"})
APT_OS: Final = frozenset({"ubuntu2204", "debian12"})

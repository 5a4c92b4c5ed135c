"""Failure texts and failing tasks for injected failures, keyed by knowledge-base slug ("family").

The text comes from the KB entry's ``samples.match[0]`` when the seed file has it,
else from a small table of messages in the tools' own wording. Where the host
fails follows the entry's category: package/repo problems fail the update task,
SSH problems make the host unreachable at fact gathering, and so on.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml


class Stage(StrEnum):
    """Where in a playbook a failure shows."""

    connect = "connect"  # Gathering Facts
    apply = "apply"  # the update task (or its check-mode twin)
    reboot_check = "reboot_check"
    reboot = "reboot"
    service = "service"


BUILTIN_MESSAGES: dict[str, str] = {
    "dnf-no-space-left": (
        "Unknown Error occurred: Transaction test error:\n"
        "  installing package kernel-core-5.14.0-611.24.1.el9_7.x86_64 needs 118MB more space on the / filesystem\n"
        "  installing package linux-firmware-20251111-155.el9_7.noarch needs 431MB more space on the / filesystem\n\n"
        "Error Summary\n-------------\nDisk Requirements:\n   At least 431MB more space needed on the / filesystem.\n"
    ),
    "repo-connection-timeout": (
        "Failed to download metadata for repo 'rhel-9-for-x86_64-baseos-rpms': Cannot download repomd.xml: "
        "Curl error (28): Timeout was reached for https://cdn.redhat.com/content/dist/rhel9/9/x86_64/baseos/os/"
        "repodata/repomd.xml [Connection timed out after 30001 milliseconds]"
    ),
    "ssh-connect-failed": (
        "Failed to connect to the host via ssh: ssh: connect to host {addr} port 22: Connection timed out"
    ),
    "dnf-gpg-check-failed": (
        "Failed to validate GPG signature for openssl-libs-1:3.2.2-6.el9_5.1.x86_64: "
        "Public key for openssl-libs-3.2.2-6.el9_5.1.x86_64.rpm is not installed"
    ),
    "apt-dpkg-lock-held": (
        "'/usr/bin/apt-get dist-upgrade ' failed: E: Could not get lock /var/lib/dpkg/lock-frontend. "
        "It is held by process 2291 (unattended-upgr)\n"
        "N: Be aware that removing the lock file is not a solution and may break your system.\n"
        "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n"
    ),
    "reboot-timeout": "Timed out waiting for last boot time check (timeout=600)",
    "systemd-service-start-failed": (
        "Unable to start service nginx: Job for nginx.service failed because the control process exited with "
        'error code.\nSee "systemctl status nginx.service" and "journalctl -xeu nginx.service" for details.\n'
    ),
}

_CATEGORY_STAGE = {
    "disk": Stage.apply,
    "repo": Stage.apply,
    "network": Stage.apply,  # the seed files repo-* connectivity problems under "network"
    "gpg": Stage.apply,
    "lock": Stage.apply,
    "dependency": Stage.apply,
    "subscription": Stage.apply,
    "filesystem": Stage.apply,
    "ssh": Stage.connect,
    "privilege": Stage.connect,
    "interpreter": Stage.connect,
    "reboot": Stage.reboot,
    "service": Stage.service,
}
_SLUG_STAGE = {"needs-restarting-missing": Stage.reboot_check, "ansible-remote-tmp-failed": Stage.connect}
# Connection-level families: ansible reports them as UNREACHABLE, not FAILED.
UNREACHABLE_SLUGS = frozenset(
    {"ssh-connect-failed", "ssh-auth-publickey", "ssh-host-key-changed", "ssh-hostname-unresolvable"}
)


@cache
def _seed(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {e["slug"]: e for e in entries if isinstance(e, dict) and "slug" in e}


def family_category(slug: str, seed_path: Path) -> str | None:
    entry = _seed(seed_path).get(slug)
    if entry:
        return str(entry.get("category") or "") or None
    if slug.startswith(("ssh-",)):
        return "ssh"
    if slug.startswith(("repo-",)):
        return "repo"
    return {"reboot-timeout": "reboot", "systemd-service-start-failed": "service"}.get(slug)


def stage_for(slug: str | None, seed_path: Path) -> Stage:
    if slug is None:
        return Stage.apply
    if slug in _SLUG_STAGE:
        return _SLUG_STAGE[slug]
    return _CATEGORY_STAGE.get(family_category(slug, seed_path) or "", Stage.apply)


def failure_message(slug: str | None, seed_path: Path, *, addr: str, unreachable: bool) -> str:
    """The message a host fails with for this family."""
    if slug:
        samples = (_seed(seed_path).get(slug) or {}).get("samples") or {}
        match = samples.get("match") if isinstance(samples, dict) else None
        if match:
            return str(match[0])
        if slug in BUILTIN_MESSAGES:
            return BUILTIN_MESSAGES[slug].format(addr=addr)
    if unreachable:
        return BUILTIN_MESSAGES["ssh-connect-failed"].format(addr=addr)
    return f"Simulated failure ({slug or 'unspecified'}): the emulator scenario marks this host as failed"

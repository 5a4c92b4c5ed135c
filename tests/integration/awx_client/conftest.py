"""Fixtures of the AWX client tests: the in-thread emulator (one per module), reset to the fast scenario per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.awx_client.support import FAST, Emulator
from workers.awx import AwxClient
from workers.emulator import Scenario, run_emulator_in_thread


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    url, stop = run_emulator_in_thread(Scenario.model_validate(FAST))
    yield url
    stop()


@pytest.fixture
def emu(emulator_url: str) -> Iterator[Emulator]:
    e = Emulator(emulator_url)
    e.load()
    yield e
    e.http.close()


@pytest.fixture
def client(emu: Emulator) -> Iterator[AwxClient]:
    with emu.client() as c:
        yield c

"""An AWX/AAP controller emulator (ASGI) that answers the client's endpoints as AWX does."""

from workers.emulator.app import create_app
from workers.emulator.scenario import Faults, HostRule, Outcome, Scenario, TemplateSpec, demo_scenario, load_scenario
from workers.emulator.server import run_emulator_in_thread

__all__ = [
    "Faults",
    "HostRule",
    "Outcome",
    "Scenario",
    "TemplateSpec",
    "create_app",
    "demo_scenario",
    "load_scenario",
    "run_emulator_in_thread",
]

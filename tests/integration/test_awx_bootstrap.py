"""``patchpilot awx bootstrap`` against the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from cli.awx import awx_app
from core.settings import AwxSettings, get_settings
from workers.awx import AwxClient
from workers.awx.bootstrap import bootstrap_templates
from workers.emulator import Scenario, run_emulator_in_thread

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_awx() -> Iterator[str]:
    url, stop = run_emulator_in_thread(Scenario(templates=[], duration_s=0.3))
    yield url
    stop()


def test_bootstrap_creates_then_updates(empty_awx: str) -> None:
    settings = AwxSettings(url=empty_awx)
    with AwxClient(settings) as client:
        first = bootstrap_templates(client, settings, organization="Default", inventory="patchpilot-demo", project=1)
        assert [(r.name, r.created) for r in first] == [
            ("patchpilot-patch", True),
            ("patchpilot-precheck", True),
            ("patchpilot-reboot", True),
        ]
        client.update_job_template(first[0].template_id, ask_limit_on_launch=False, playbook="reboot.yml")
        again = bootstrap_templates(client, settings, organization=1, inventory=1, project="patchpilot")
        assert [r.template_id for r in again] == [r.template_id for r in first]
        assert not any(r.created for r in again)
        for name, playbook in (("patchpilot-patch", "patch.yml"), ("patchpilot-reboot", "reboot.yml")):
            jt = client.find_job_template(name, organization="Default")
            prompts = client.launch_prompts(jt.id)
            assert jt.playbook == playbook and prompts.ask_limit_on_launch and prompts.ask_variables_on_launch
        job = client.launch(client.find_job_template("patchpilot-precheck").id, limit="web-stg-01", extra_vars={})
        done = client.wait_event_processing(job.id, timeout_s=5)
        assert done.status == "successful"
        assert "TASK [Simulate updates (check mode)]" in client.stdout(job.id).text


def test_bootstrap_cli(empty_awx: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHPILOT_AWX__URL", empty_awx)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(awx_app, ["bootstrap", "--project", "patchpilot"])
        assert result.exit_code == 0, result.output
        assert "created job template 'patchpilot-patch'" in result.output
        bad = CliRunner().invoke(awx_app, ["bootstrap", "--inventory", "no-such-inventory"])
        assert bad.exit_code == 1 and "no-such-inventory" in bad.output
    finally:
        get_settings.cache_clear()
    names = httpx.get(f"{empty_awx}/api/v2/job_templates/", headers={"Authorization": "Bearer emulator-token"}).json()
    assert sorted(t["name"] for t in names["results"]) == [
        "patchpilot-patch",
        "patchpilot-precheck",
        "patchpilot-reboot",
    ]

"""``patchpilot awx bootstrap`` against the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from cli.awx import awx_app
from core.errors import AwxBadRequest
from core.settings import AwxSettings, get_settings
from workers.awx import AwxClient
from workers.awx.bootstrap import bootstrap_templates
from workers.emulator import Scenario, run_emulator_in_thread

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer emulator-token"}


@pytest.fixture
def empty_awx() -> Iterator[str]:
    url, stop = run_emulator_in_thread(Scenario(templates=[], duration_s=0.3))
    yield url
    stop()


def _bootstrap(client: AwxClient, settings: AwxSettings, **over: object) -> list:  # type: ignore[type-arg]
    args: dict[str, object] = {
        "organization": "Default",
        "inventory": "patchpilot-demo",
        "project": 1,
        "credential": "patchpilot-machine",
        **over,
    }
    return bootstrap_templates(client, settings, **args)  # type: ignore[arg-type]


def test_bootstrap_creates_then_updates(empty_awx: str) -> None:
    settings = AwxSettings(url=empty_awx)
    with AwxClient(settings) as client:
        first = _bootstrap(client, settings)
        assert [(r.name, r.created) for r in first] == [
            ("patchpilot-patch", True),
            ("patchpilot-precheck", True),
            ("patchpilot-reboot", True),
        ]
        client.update_job_template(
            first[0].template_id, ask_limit_on_launch=False, playbook="playbooks/reboot.yml", allow_simultaneous=False
        )
        again = _bootstrap(client, settings, organization=1, inventory=1, project="patchpilot", credential=1)
        assert [r.template_id for r in again] == [r.template_id for r in first]
        assert not any(r.created for r in again)
        for name, playbook in (
            ("patchpilot-patch", "playbooks/patch.yml"),
            ("patchpilot-reboot", "playbooks/reboot.yml"),
        ):
            jt = client.find_job_template(name, organization="Default")
            prompts = client.launch_prompts(jt.id)
            assert jt.playbook == playbook and prompts.ask_limit_on_launch and prompts.ask_variables_on_launch
            assert jt.allow_simultaneous  # finding 4: AWX's default false would hold later jobs pending
            assert client.template_credentials(jt.id) == [1]  # attached once, not twice
        job = client.launch(client.find_job_template("patchpilot-precheck").id, limit="web-stg-01", extra_vars={})
        done = client.wait_event_processing(job.id, timeout_s=5)
        assert done.status == "successful"  # reachable: the machine credential is attached
        assert "TASK [Simulate updates (check mode)]" in client.stdout(job.id).text


def test_playbook_names_are_relative_to_the_project_root(empty_awx: str) -> None:
    """Finding 2: AWX lists playbooks relative to the project root; a bare 'patch.yml' is refused."""
    listed = httpx.get(f"{empty_awx}/api/v2/projects/1/playbooks/", headers=AUTH).json()
    assert listed == ["playbooks/patch.yml", "playbooks/precheck.yml", "playbooks/reboot.yml"]
    settings = AwxSettings(url=empty_awx)
    with AwxClient(settings) as client:
        with pytest.raises(AwxBadRequest, match="Playbook not found for project"):
            client.create_job_template("old-style", inventory=1, project=1, playbook="patch.yml")
        _bootstrap(client, settings)
        assert client.find_job_template("patchpilot-patch").playbook == "playbooks/patch.yml"


def test_a_template_without_machine_credential_reaches_no_host(empty_awx: str) -> None:
    """Finding 7: without a machine credential every host is unreachable; bootstrap attaches one."""
    settings = AwxSettings(url=empty_awx)
    with AwxClient(settings) as client:
        bare = client.create_job_template(
            "bare", inventory=1, project=1, playbook="playbooks/precheck.yml", extra={"allow_simultaneous": True}
        )
        job = client.wait_event_processing(client.launch(bare.id, limit="web-stg-01", extra_vars={}).id, timeout_s=5)
        assert job.status == "failed"
        assert [s.dark for s in client.host_summaries(job.id)] == [1]
        assert "Permission denied" in client.stdout(job.id).text
        with pytest.raises(Exception, match="no AWX machine credential named 'nope'"):
            _bootstrap(client, settings, credential="nope")


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
    names = httpx.get(f"{empty_awx}/api/v2/job_templates/", headers=AUTH).json()
    assert sorted(t["name"] for t in names["results"]) == [
        "patchpilot-patch",
        "patchpilot-precheck",
        "patchpilot-reboot",
    ]

"""Create or update patchpilot's three job templates (``patchpilot awx bootstrap``).

What a template needs to run patchpilot's jobs on a real AWX/AAP (contract 15):
playbook paths relative to the project root (this repository is the project, so
``playbooks/patch.yml``), prompts on launch for the limit and variables,
``allow_simultaneous`` (AWX otherwise holds a second job of the same template
``pending`` until the first ends, maybe past its patch window: patchpilot's own
host locks already keep two jobs off one host), and a machine credential to reach
and become root on the hosts.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import AwxSettings
from workers.awx.client import AwxClient

PLAYBOOKS = {"patch": "playbooks/patch.yml", "precheck": "playbooks/precheck.yml", "reboot": "playbooks/reboot.yml"}
DESCRIPTIONS = {
    "patch": "patchpilot: pre-checks, patch, reboot if required, post-checks",
    "precheck": "patchpilot: pre-checks and a check-mode dry run of the update",
    "reboot": "patchpilot: reboot and post-checks",
}


@dataclass(frozen=True)
class BootstrapResult:
    name: str
    template_id: int
    created: bool


def _resolve(client: AwxClient, kind: str, ref: str | int, organization_id: int | None) -> int:
    if isinstance(ref, int) or str(ref).isdigit():
        return int(ref)
    return client.find_id(kind, str(ref), organization_id)


def bootstrap_templates(
    client: AwxClient,
    settings: AwxSettings,
    *,
    organization: str | int,
    inventory: str | int,
    project: str | int,
    credential: str | int,
) -> list[BootstrapResult]:
    """Make the patch/precheck/reboot templates exist, prompting for limit and variables, runnable side by side,
    with the machine credential attached.

    Objects may be given by id or by name (names are looked up inside the organization;
    the credential among machine credentials). Existing templates of the same name in the
    organization are updated, not duplicated.
    """
    org_id = _resolve(client, "organizations", organization, None)
    inv_id = _resolve(client, "inventories", inventory, org_id)
    proj_id = _resolve(client, "projects", project, org_id)
    cred_id = int(credential) if str(credential).isdigit() else client.find_machine_credential(str(credential))
    names = {
        "patch": settings.template_patch,
        "precheck": settings.template_precheck,
        "reboot": settings.template_reboot,
    }
    results: list[BootstrapResult] = []
    for key, name in names.items():
        wanted = {
            "inventory": inv_id,
            "project": proj_id,
            "playbook": PLAYBOOKS[key],
            "ask_limit_on_launch": True,
            "ask_variables_on_launch": True,
            "allow_simultaneous": True,
        }
        existing = client.find_job_templates(name, org_id)
        if existing:
            template = client.update_job_template(existing[0].id, description=DESCRIPTIONS[key], **wanted)
            results.append(BootstrapResult(name, template.id, created=False))
        else:
            template = client.create_job_template(
                name,
                inventory=inv_id,
                project=proj_id,
                playbook=PLAYBOOKS[key],
                description=DESCRIPTIONS[key],
                extra={"allow_simultaneous": True},
            )
            results.append(BootstrapResult(name, template.id, created=True))
        client.attach_credential(template.id, cred_id)
    return results

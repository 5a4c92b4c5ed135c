"""Create or update patchpilot's three job templates (``patchpilot awx bootstrap``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import AwxSettings
from workers.awx.client import AwxClient

PLAYBOOKS = {"patch": "patch.yml", "precheck": "precheck.yml", "reboot": "reboot.yml"}
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
    client: AwxClient, settings: AwxSettings, *, organization: str | int, inventory: str | int, project: str | int
) -> list[BootstrapResult]:
    """Make the patch/precheck/reboot templates exist with ``ask_limit_on_launch`` and ``ask_variables_on_launch``.

    Objects may be given by id or by name (names are looked up inside the organization).
    Existing templates of the same name in the organization are updated, not duplicated.
    """
    org_id = _resolve(client, "organizations", organization, None)
    inv_id = _resolve(client, "inventories", inventory, org_id)
    proj_id = _resolve(client, "projects", project, org_id)
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
            )
            results.append(BootstrapResult(name, template.id, created=True))
    return results

"""The AWX objects ``patchpilot awx bootstrap`` looks up and writes: organizations, inventories, projects,
machine credentials and job templates (a part of AwxClient)."""

from __future__ import annotations

from typing import Any

from core.errors import AwxBadRequest, AwxNotFound
from workers.awx.http import AwxHttp
from workers.awx.models import JobTemplate


class AwxObjects:
    _http: AwxHttp

    def find_id(self, kind: str, name: str, organization_id: int | None = None) -> int:
        """Id of the organization/inventory/project named ``name`` (optionally in one organization)."""
        params: dict[str, Any] = {"name": name}
        if organization_id is not None and kind != "organizations":
            params["organization"] = organization_id
        rows = list(self._http.iter_list(self._http.path(kind), params))
        if len(rows) != 1:
            if not rows:
                raise AwxNotFound(f"no AWX {kind.rstrip('s')} named {name!r}", kind=kind, name=name)
            raise AwxBadRequest(f"{len(rows)} AWX {kind} are named {name!r}; give the id", kind=kind, name=name)
        return int(rows[0]["id"])

    def find_job_templates(self, name: str, organization_id: int | None = None) -> list[JobTemplate]:
        params: dict[str, Any] = {"name": name}
        if organization_id is not None:
            params["organization"] = organization_id
        return [JobTemplate.model_validate(r) for r in self._http.iter_list(self._http.path("job_templates"), params)]

    def create_job_template(
        self,
        name: str,
        *,
        inventory: int,
        project: int,
        playbook: str,
        description: str = "",
        ask_limit_on_launch: bool = True,
        ask_variables_on_launch: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> JobTemplate:
        body = {
            "name": name,
            "description": description,
            "job_type": "run",
            "inventory": inventory,
            "project": project,
            "playbook": playbook,
            "ask_limit_on_launch": ask_limit_on_launch,
            "ask_variables_on_launch": ask_variables_on_launch,
            **(extra or {}),
        }
        return JobTemplate.model_validate(self._http.post(self._http.path("job_templates"), body).json())

    def find_machine_credential(self, name: str) -> int:
        """Id of the machine (SSH) credential named ``name``."""
        params = {"name": name, "credential_type__kind": "ssh"}
        rows = list(self._http.iter_list(self._http.path("credentials"), params))
        if len(rows) != 1:
            what = "no" if not rows else str(len(rows))
            raise (AwxNotFound if not rows else AwxBadRequest)(
                f"{what} AWX machine credential named {name!r}; create one that may become root on the hosts "
                "(or give its id)",
                name=name,
            )
        return int(rows[0]["id"])

    def template_credentials(self, template_id: int) -> list[int]:
        rows = self._http.iter_list(self._http.path(f"job_templates/{template_id}/credentials"))
        return [int(r["id"]) for r in rows]

    def attach_credential(self, template_id: int, credential_id: int) -> None:
        """Attach a credential to a template (``POST .../credentials/ {"id": N}``); attached already is fine."""
        if credential_id not in self.template_credentials(template_id):
            self._http.post(self._http.path(f"job_templates/{template_id}/credentials"), {"id": credential_id})

    def update_job_template(self, template_id: int, **fields: Any) -> JobTemplate:
        response = self._http.patch(self._http.path(f"job_templates/{template_id}"), fields)
        return JobTemplate.model_validate(response.json())

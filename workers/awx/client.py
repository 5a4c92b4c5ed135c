"""The AWX/AAP REST client used by the job pipeline, the CLI and the tests.

Follows the client algorithm of ../shared/awx-api-contract.md section 13. A
failed AWX job is a status (``AwxJob.status``), never an exception; errors of
the conversation itself map to AwxUnavailable (retryable), AwxAuthFailed,
AwxNotFound, AwxBadRequest and AwxPromptNotAllowed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

from core.errors import AwxBadRequest, AwxError, AwxNotFound, AwxPromptNotAllowed, ValidationFailed
from core.settings import AwxSettings
from workers.awx.http import AwxHttp
from workers.awx.models import (
    JOB_PATHS,
    AwxJob,
    HostSummary,
    JobEvent,
    JobKind,
    JobTemplate,
    LaunchPrompts,
    Stdout,
    SurveyQuestion,
    parse_vars,
)
from workers.awx.objects import AwxObjects

# Every event type AWX stores for a host failure (awx/main/models/events.py EVENT_TYPES).
FAILED_EVENTS = "runner_on_failed,runner_on_unreachable,runner_item_on_failed,runner_on_async_failed,runner_on_error"
TOO_LARGE_PREFIX = "Standard Output too large to display"
_WAIT_POLL_S = (0.2, 1.0)  # wait_event_processing: first and largest poll interval


def _iso(moment: datetime) -> str:
    """AWX-style UTC timestamp for filters (naive datetimes are taken as UTC).

    >>> _iso(datetime(2025, 1, 14, 9, 30, 2, 118402))
    '2025-01-14T09:30:02.118402Z'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AwxClient(AwxObjects):
    """Synchronous AWX/AAP client (httpx + tenacity), built from ``Settings.awx``."""

    def __init__(self, settings: AwxSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self._http = AwxHttp(settings, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AwxClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- identity ------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        """``/ping/`` (no authentication): version and nodes; proves reachability, not credentials."""
        result: dict[str, Any] = self._http.get(self._http.path("ping"))
        return result

    def me(self) -> dict[str, Any]:
        """The authenticated user (``/me/`` is a one-row list); the credential check."""
        page = self._http.get(self._http.path("me"))
        results = page.get("results") or []
        if not results:
            raise AwxError("AWX /me/ returned no user")
        user: dict[str, Any] = results[0]
        return user

    # --- job templates -------------------------------------------------

    def find_job_template(self, name: str, organization: str | None = None) -> JobTemplate:
        """The one job template with this exact name (names are unique per organization only)."""
        params: dict[str, Any] = {"name": name}
        if organization:
            params["organization__name"] = organization
        rows = list(self._http.iter_list(self._http.path("job_templates"), params))
        if not rows:
            where = f" in organization {organization!r}" if organization else ""
            raise AwxNotFound(f"no AWX job template named {name!r}{where}", name=name)
        if len(rows) > 1:
            orgs = sorted(
                str(r.get("summary_fields", {}).get("organization", {}).get("name", r.get("organization")))
                for r in rows
            )
            raise AwxBadRequest(
                f"{len(rows)} AWX job templates are named {name!r} (organizations {', '.join(orgs)}); "
                "set PATCHPILOT_AWX__ORGANIZATION",
                name=name,
            )
        return JobTemplate.model_validate(rows[0])

    def job_template(self, template_id: int) -> JobTemplate:
        return JobTemplate.model_validate(self._http.get(self._http.path(f"job_templates/{template_id}")))

    def launch_prompts(self, template_id: int) -> LaunchPrompts:
        return LaunchPrompts.model_validate(self._http.get(self._http.path(f"job_templates/{template_id}/launch")))

    def survey(self, template_id: int) -> list[SurveyQuestion]:
        """The template's survey questions (``/survey_spec/``); empty when it has none."""
        spec = self._http.get(self._http.path(f"job_templates/{template_id}/survey_spec"))
        return [SurveyQuestion.model_validate(q) for q in (spec.get("spec") or [])]

    def check_launchable(self, template_id: int, extra_vars: dict[str, Any]) -> LaunchPrompts:
        """Refuse, before anything runs, a launch AWX would ignore parts of or reject.

        AWX silently drops an unprompted limit and runs on the template's own (often the
        whole inventory); it answers 400 when a required survey answer or a required
        variable is missing. Both are checked here so the caller gets one clear reason.
        """
        prompts = self.launch_prompts(template_id)
        missing = [
            flag
            for flag, on in (
                ("ask_limit_on_launch", prompts.ask_limit_on_launch),
                ("ask_variables_on_launch", prompts.ask_variables_on_launch),
            )
            if not on
        ]
        if missing:
            raise AwxPromptNotAllowed(
                f"AWX job template {template_id} has {', '.join(missing)} off; "
                "AWX would ignore the limit/variables and run on the template's own targets",
                template_id=template_id,
                missing=missing,
            )
        if prompts.passwords_needed_to_start:
            raise AwxBadRequest(
                f"AWX job template {template_id} needs passwords to start: {prompts.passwords_needed_to_start}; "
                "store them in the template's credentials (patchpilot cannot type them)",
                template_id=template_id,
            )
        needed = set(prompts.variables_needed_to_start)
        if prompts.survey_enabled:
            needed |= {q.variable for q in self.survey(template_id) if q.required and q.default in (None, "")}
        unanswered = sorted(needed - set(extra_vars))
        if unanswered:
            raise AwxBadRequest(
                f"AWX job template {template_id} requires {', '.join(unanswered)} (survey or required variables) "
                "and patchpilot does not send them; give them defaults in the survey or make them optional",
                template_id=template_id,
                missing=unanswered,
            )
        return prompts

    def launch(self, template_id: int, *, limit: str | list[str], extra_vars: dict[str, Any]) -> AwxJob:
        """Launch the template on ``limit`` (host names or a pattern) with ``extra_vars``.

        Refuses an empty limit (AWX would run on the whole inventory) and templates that
        would ignore or reject our fields (check_launchable). A non-empty
        ``ignored_fields`` after the 201 cancels the job at once. A sliced template
        answers with a ``workflow_job``: it is returned as such (``type``), to be
        followed and canceled under ``/workflow_jobs/``. The POST is sent once:
        after AwxUnavailable use find_launched_job.
        """
        text = ",".join(h.strip() for h in limit if h.strip()) if isinstance(limit, list) else limit.strip()
        if not text:
            raise ValidationFailed(
                "refusing to launch on no hosts: AWX would run the template on its whole inventory",
                template_id=template_id,
            )
        self.check_launchable(template_id, extra_vars)
        response = self._http.post(
            self._http.path(f"job_templates/{template_id}/launch"), {"limit": text, "extra_vars": extra_vars}
        )
        body = response.json()
        kind: JobKind = "workflow_job" if "workflow_job" in body and "job" not in body else "job"
        job_id = int(body.get(kind) or body.get("id"))
        ignored = body.get("ignored_fields") or {}
        if ignored:
            self.cancel(job_id, kind)
            raise AwxPromptNotAllowed(
                f"AWX ignored {sorted(ignored)} on launch of template {template_id}; {kind} {job_id} was canceled",
                template_id=template_id,
                job_id=job_id,
                ignored_fields=ignored,
            )
        return AwxJob.model_validate({**body, "id": job_id, "type": kind})

    def find_launched_job(self, template_id: int, *, var: str, value: str | int, since: datetime) -> AwxJob | None:
        """Crash recovery: the newest job of the template since ``since`` whose extra var ``var`` equals ``value``."""
        params = {"job_template": template_id, "created__gte": _iso(since), "order_by": "-id"}
        for row in self._http.iter_list(self._http.path("jobs"), params):
            found = parse_vars(row.get("extra_vars")).get(var)
            if found is not None and (found == value or str(found) == str(value)):
                return AwxJob.model_validate(row)
        return None

    # --- jobs ----------------------------------------------------------

    def job(self, job_id: int, kind: JobKind = "job") -> AwxJob:
        """``/jobs/{id}/`` (or ``/workflow_jobs/{id}/`` for a sliced template's workflow job)."""
        body = self._http.get(self._http.path(f"{JOB_PATHS[kind]}/{job_id}"))
        return AwxJob.model_validate({**body, "type": kind})

    def slice_jobs(self, workflow_job_id: int) -> list[int]:
        """The jobs a sliced template's workflow job spawned (one per slice), in node order."""
        path = self._http.path(f"workflow_jobs/{workflow_job_id}/workflow_nodes")
        return [int(n["job"]) for n in self._http.iter_list(path, {"order_by": "id"}) if n.get("job")]

    def wait_event_processing(self, job_id: int, timeout_s: float | None = None) -> AwxJob:
        """Poll until the job is terminal and its events are all saved, at most ``timeout_s``.

        Returns the last state seen (check ``event_processing_finished``); does not
        wait for the flag after ``error``/``canceled``, where it may never turn true
        (contract 7.4). For the CLI and tests; the pipeline re-schedules polls instead.
        """
        deadline = time.monotonic() + (self.settings.event_wait_s if timeout_s is None else timeout_s)
        delay = _WAIT_POLL_S[0]
        while True:
            job = self.job(job_id)
            if job.terminal and (job.event_processing_finished or job.status in ("error", "canceled")):
                return job
            if time.monotonic() + delay > deadline:
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, _WAIT_POLL_S[1])

    def host_summaries(self, job_id: int) -> list[HostSummary]:
        rows = self._http.iter_list(self._http.path(f"jobs/{job_id}/job_host_summaries"), {"order_by": "host_name"})
        return [HostSummary.model_validate(r) for r in rows]

    def failed_events(self, job_id: int) -> Iterator[JobEvent]:
        """Failed and unreachable host events, untruncated, in emission order, all pages."""
        params = {"event__in": FAILED_EVENTS, "order_by": "counter", "no_truncate": 1}
        for row in self._http.iter_list(self._http.path(f"jobs/{job_id}/job_events"), params):
            yield JobEvent.model_validate(row)

    def events(self, job_id: int, **filters: Any) -> Iterator[JobEvent]:
        """All events of a job (``counter`` order), with optional AWX filters such as ``counter__gt=120``."""
        params = {"order_by": "counter", "no_truncate": 1, **filters}
        for row in self._http.iter_list(self._http.path(f"jobs/{job_id}/job_events"), params):
            yield JobEvent.model_validate(row)

    def stdout(self, job_id: int, *, keep_bytes: int = 4 * 1024 * 1024) -> Stdout:
        """The job's plain-text output; over AWX's display cap, the tail of ``txt_download``."""
        path = self._http.path(f"jobs/{job_id}/stdout")
        # txt and txt_download have only text/plain renderers: Accept: application/json gets 406.
        text = self._http.get_response(path, {"format": "txt"}, accept="text/plain").text
        if not text.startswith(TOO_LARGE_PREFIX):
            raw = text.encode("utf-8")
            if len(raw) <= keep_bytes:
                return Stdout(text=text, truncated=False, size_bytes=len(raw))
            return Stdout(text=_decode_tail(raw[-keep_bytes:]), truncated=True, size_bytes=len(raw))
        tail, total = self._http.stream_tail(path, {"format": "txt_download"}, keep_bytes)
        return Stdout(text=_decode_tail(tail), truncated=total > len(tail), size_bytes=total)

    def cancel(self, job_id: int, kind: JobKind = "job") -> bool:
        """Ask AWX to cancel: True when accepted (202), False when the job had already finished (405).

        A workflow job (sliced template) is canceled at ``/workflow_jobs/{id}/cancel/``, which
        cancels its slices too.
        """
        return self._http.post_status(self._http.path(f"{JOB_PATHS[kind]}/{job_id}/cancel")) != 405

    def relaunch_failed(self, job_id: int) -> AwxJob:
        """Relaunch on the hosts that failed or were unreachable (``limit`` = those hosts)."""
        body = self._http.post(self._http.path(f"jobs/{job_id}/relaunch"), {"hosts": "failed"}).json()
        return AwxJob.model_validate({**body, "id": body.get("job") or body.get("id")})

    # --- inventories (target resolution) -------------------------------

    def inventory_hosts(self, inventory_id: int) -> list[dict[str, Any]]:
        """Enabled hosts of an inventory: ``{"name", "variables": {...}, "groups": [...]}``, groups transitive."""
        script = self._http.get(self._http.path(f"inventories/{inventory_id}/script"), {"hostvars": 1})
        return hosts_from_script(script)


def _decode_tail(raw: bytes) -> str:
    """Decode a byte tail that may start inside a UTF-8 sequence.

    >>> _decode_tail("é!".encode()[1:])
    '!'
    """
    return raw.decode("utf-8", errors="replace").lstrip("\ufffd")


def hosts_from_script(script: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten ansible ``--list`` JSON into hosts with their (transitive) group names.

    >>> data = {"all": {"children": ["web"], "hosts": ["solo"]}, "web": {"hosts": ["w1"], "children": ["stg"]},
    ...         "stg": {"hosts": ["w2"]}, "_meta": {"hostvars": {"w1": {"os": "rhel9"}}}}
    >>> [(h["name"], h["groups"], h["variables"]) for h in hosts_from_script(data)]
    [('solo', [], {}), ('w1', ['web'], {'os': 'rhel9'}), ('w2', ['stg', 'web'], {})]
    """
    hostvars: dict[str, Any] = script.get("_meta", {}).get("hostvars", {})
    groups = {k: v for k, v in script.items() if k != "_meta" and isinstance(v, dict)}
    parents: dict[str, set[str]] = {}
    for gname, group in groups.items():
        for child in group.get("children", []) or []:
            parents.setdefault(child, set()).add(gname)

    def ancestors(group: str, seen: set[str]) -> set[str]:
        for parent in parents.get(group, set()) - seen:
            seen.add(parent)
            ancestors(parent, seen)
        return seen

    membership: dict[str, set[str]] = {name: set() for name in hostvars}
    for gname, group in groups.items():
        for host in group.get("hosts", []) or []:
            membership.setdefault(host, set()).update({gname} | ancestors(gname, set()))
    return [
        {
            "name": name,
            "variables": parse_vars(hostvars.get(name, {})),
            "groups": sorted(g for g in found if g not in ("all", "ungrouped")),
        }
        for name, found in sorted(membership.items())
    ]


__all__ = ["AwxClient", "hosts_from_script"]

"""The UI's models (a lenient copy, ui may not import the API) checked against the API's OpenAPI document.

Every field the UI reads must exist in the API's schema with a compatible JSON type, so a rename or a
type change in the API fails here instead of silently reading a default in the browser.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from core.settings import Settings
from ui import models

# UI model -> the API's schema component (KB endpoints answer untyped dicts: not covered here).
PAIRS: dict[type[BaseModel], str] = {
    models.Me: "Me",
    models.HostCounts: "HostCounts",
    models.JobHost: "JobHost",
    models.Job: "Job",
    models.JobPage: "JobPage",
    models.HostBadges: "HostBadges",
    models.Risk: "RiskAssessment",
    models.Pending: "Pending",
    models.ChatResponse: "ChatOut",
    models.ConfirmResponse: "ConfirmOut",
    models.ChatMessage: "Message",
    models.ChatHistory: "ChatHistory",
    models.ApprovalItem: "ApprovalItem",
    models.ApprovalQueue: "ApprovalQueue",
    models.HostProgress: "HostProgress",
    models.TaskProgress: "TaskProgress",
    models.JobProgress: "ProgressView",
}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from api.app import create_app

    # The document is built without touching the database (the pool opens on first use).
    app = create_app(Settings(db={"url": "postgresql://nobody@127.0.0.1:1/none"}), awx_ping=lambda: {})
    return app.openapi()


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The JSON types a property schema allows (refs and anyOf resolved one level)."""
    if "$ref" in schema:
        target = components[schema["$ref"].rsplit("/", 1)[-1]]
        return {"object"} if "properties" in target else {target.get("type", "object")}
    if "anyOf" in schema:
        return set().union(*(_types(s, components) for s in schema["anyOf"]))
    if "allOf" in schema:
        return set().union(*(_types(s, components) for s in schema["allOf"]))
    kind = schema.get("type")
    if kind is None:
        return {"any"}
    return {kind} if isinstance(kind, str) else set(kind)


@pytest.mark.parametrize("model", list(PAIRS), ids=lambda m: m.__name__)
def test_every_ui_field_exists_in_the_api_schema_with_a_compatible_type(
    model: type[BaseModel], openapi: dict[str, Any]
) -> None:
    components = openapi["components"]["schemas"]
    api = components[PAIRS[model]]
    ui = model.model_json_schema(ref_template="#/$defs/{model}")
    ui_components = ui.get("$defs", {})
    for name, prop in ui["properties"].items():
        assert name in api["properties"], f"{model.__name__}.{name} is not in the API's {PAIRS[model]}"
        theirs = _types(api["properties"][name], components)
        ours = _types(prop, {**components, **ui_components})
        if "any" in theirs or "any" in ours:
            continue
        # integers are numbers; a UI str may read an API enum (string) or date-time (string)
        widen = {"integer": {"integer", "number"}}
        assert any(t in widen.get(o, {o}) or o in widen.get(t, {t}) for o in ours for t in theirs), (
            f"{model.__name__}.{name}: the UI reads {sorted(ours)}, the API sends {sorted(theirs)}"
        )

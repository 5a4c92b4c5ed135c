"""The UI's models of the API's answers are generated from the API's OpenAPI document (cli/ui_models.py).

The committed ``ui/api_models.py`` must be exactly what the generator writes from today's API: an API
schema change without a regeneration fails here, naming the command that regenerates the file.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cli import ui_models
from core.enums import JobStatus, MatchKind
from ui import api_models, models


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return ui_models.openapi_document()


def test_the_committed_ui_models_are_what_the_generator_writes_from_the_api(openapi: dict[str, Any]) -> None:
    fresh = ui_models.generate(openapi)
    committed = ui_models.TARGET.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True), fresh.splitlines(keepends=True), "committed", "generated", n=1
        )
    )
    assert fresh == committed, f"ui/api_models.py is stale; regenerate it with: {ui_models.COMMAND}\n{diff[:4000]}"


def test_every_schema_the_ui_reads_is_generated_with_the_api_fields(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for root in ui_models.UI_ROOTS:
        model = getattr(api_models, root)
        assert issubclass(model, BaseModel)
        assert set(model.model_fields) == set(schemas[root]["properties"]), root
        required = {n for n, f in model.model_fields.items() if f.is_required()}
        assert required == set(schemas[root].get("required", [])) - {
            n for n, p in schemas[root]["properties"].items() if "default" in p
        }, root


def test_the_ui_names_are_the_generated_models() -> None:
    assert models.ChatResponse is api_models.ChatOut
    assert models.JobProgress is api_models.ProgressView
    assert models.Risk is api_models.RiskAssessment
    # the KB endpoints' answers are generated too (no hand-written copies left)
    assert models.JobFailure is api_models.JobFailure and models.PatternTestResult is api_models.PatternTestResult
    assert models.KbSuggestion is api_models.KbSuggestion and models.UnmatchedGroup is api_models.UnmatchedGroup
    assert api_models.Job.model_fields["failures"].annotation == list[api_models.JobFailure]
    # shared enums are imported from core.enums, not copied
    assert api_models.Job.model_fields["status"].annotation is JobStatus


def test_a_job_as_the_api_sends_it_is_read_into_typed_fields() -> None:
    job = models.Job.model_validate(
        {
            "id": 3,
            "status": "failed",
            "intent": {"action": "patch", "hosts": ["a"], "reboot": "never"},
            "requested_by": "ann",
            "failures": [
                {
                    "host": "a",
                    "task": "yum",
                    "message": "boom",
                    "kb": {
                        "slug": "x",
                        "title": "X",
                        "category": "disk",
                        "match": "similar",
                        "score": 0.9,
                        "via": "signals",
                        "solution": "free space",
                    },
                    "related": [{"slug": "y", "title": "Y", "score": 0.5, "label": "possibly related"}],
                }
            ],
            "created_at": "2026-11-27T21:05:00Z",
            "updated_at": "2026-11-27T21:06:00Z",
            "a_field_added_later": 1,
        }
    )
    assert job.status is JobStatus.failed
    assert job.intent.hosts == ["a"]
    assert job.created_at == datetime(2026, 11, 27, 21, 5, tzinfo=UTC)
    [failure] = job.failures
    assert isinstance(failure, models.JobFailure) and failure.kb is not None
    assert (failure.host, failure.kb.slug, failure.kb.match, failure.related[0].slug) == ("a", "x", "similar", "y")
    assert failure.kb.match is MatchKind.similar


# --- the generator on a small document ---------------------------------------------------------------

_DOC: dict[str, Any] = {
    "info": {"title": "t", "version": "1"},
    "components": {
        "schemas": {
            "Colour": {"type": "string", "enum": ["red", "dark-blue"], "title": "Colour"},
            "Leaf": {"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]},
            "Root": {
                "type": "object",
                "description": 'A "root".',
                "required": ["id", "leaf"],
                "properties": {
                    "id": {"type": "integer"},
                    "leaf": {"$ref": "#/components/schemas/Leaf"},
                    "maybe": {"anyOf": [{"$ref": "#/components/schemas/Leaf"}, {"type": "null"}]},
                    "colour": {"$ref": "#/components/schemas/Colour", "default": "dark-blue"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "map": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "free": {"type": "object", "additionalProperties": True},
                    "when": {"type": "string", "format": "date-time"},
                    "job": {"anyOf": [{"type": "integer"}, {"type": "string", "const": "last"}]},
                    "class": {"type": "string", "default": "x"},
                },
            },
            "Unused": {"type": "object", "properties": {"u": {"type": "string"}}},
        }
    },
}


def test_the_generator_translates_each_construct_into_a_working_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = ui_models.generate(_DOC, roots=["Root"])
    assert "class Unused" not in source  # only what the roots reach
    assert source.index("class Leaf") < source.index("class Root")  # referenced first
    (tmp_path / "generated_models.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "generated_models", raising=False)
    module = importlib.import_module("generated_models")
    root, colour = module.Root, module.Colour
    assert issubclass(colour, StrEnum) and colour("dark-blue").name == "dark_blue"
    value = root.model_validate(
        {"id": 1, "leaf": {"n": 1.5}, "when": "2026-01-02T03:04:05Z", "job": "last", "class": "y", "extra": 1}
    )
    assert value.leaf.n == 1.5 and value.maybe is None and value.colour is colour.dark_blue
    assert value.tags == [] and value.map == {} and value.free == {}
    assert value.when == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert value.class_ == "y"
    assert root.__doc__ == 'A "root".'
    with pytest.raises(ValueError, match="leaf"):
        root.model_validate({"id": 1})
    with pytest.raises(ValueError, match="job"):
        root.model_validate({"id": 1, "leaf": {"n": 1}, "job": "first"})


def test_the_generator_refuses_what_it_cannot_translate() -> None:
    doc = {"info": {"title": "t", "version": "1"}, "components": {"schemas": {"X": {"type": "integer"}}}}
    with pytest.raises(ui_models.SchemaNotSupportedError, match="'X'"):
        ui_models.generate(doc, roots=["X"])
    with pytest.raises(ui_models.SchemaNotSupportedError, match="'Missing'"):
        ui_models.generate(doc, roots=["Missing"])

"""Generate ``ui/api_models.py``: the pydantic models of what the API answers, from its OpenAPI document.

The UI may not import the API (it reaches it over HTTP only), so it cannot share the API's models; instead
``patchpilot gen-ui-models`` (``make ui-models``) writes them from ``create_app(...).openapi()`` and a unit
test fails when the committed file differs from a fresh generation.

Small and dependency-free on purpose: it covers what the API's schemas use (objects with properties,
required/optional, defaults, nullable ``anyOf [X, null]``, unions, arrays, ``$ref``, string enums,
``const``, ``additionalProperties`` maps, ``date-time``, ``date``) and refuses anything else with a clear error.
String enums whose name and values match a ``core.enums`` class are imported from there (the one
definition the UI already shares); the others become ``StrEnum`` classes.
"""

from __future__ import annotations

import enum
import json
import keyword
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core import enums as core_enums
from core.errors import PatchpilotError

# The API schemas the UI reads (their references are followed): one name per endpoint answer.
UI_ROOTS: tuple[str, ...] = (
    "ApprovalQueue",
    "ChatHistory",
    "ChatOut",
    "ConfirmOut",
    "EntryView",
    "Job",
    "JobFailure",
    "JobPage",
    "KbSuggestion",
    "Me",
    "PatternTestResult",
    "ProgressView",
    "Revision",
    "SavedEntry",
    "UnmatchedDay",
    "UnmatchedGroup",
)

TARGET = Path(__file__).resolve().parent.parent / "ui" / "api_models.py"
COMMAND = "make ui-models  (or: patchpilot gen-ui-models)"

_REF = "#/components/schemas/"
_SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}


class SchemaNotSupportedError(PatchpilotError):
    """The OpenAPI document uses a construct the generator does not translate."""


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, built without a database (the pool opens on first use, never here)."""
    from api.app import create_app
    from core.settings import Settings

    app = create_app(Settings(db={"url": "postgresql://nobody@127.0.0.1:1/none"}), awx_ping=lambda: {})
    return app.openapi()


def _ref_name(ref: str) -> str:
    if not ref.startswith(_REF):
        raise SchemaNotSupportedError(f"only local component references are supported, got {ref!r}")
    return ref[len(_REF) :]


def _member(value: str) -> str:
    name = re.sub(r"\W", "_", value)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"v_{name}"
    return name


class _Generator:
    def __init__(self, components: Mapping[str, Any]) -> None:
        self.components = components
        self.order: list[str] = []
        self.core_imports: set[str] = set()
        self.typing: set[str] = set()
        self.datetime: set[str] = set()
        self.field = False
        self.strenum = False

    # --- which schemas, in dependency order -------------------------------------------------

    def visit(self, name: str, stack: tuple[str, ...] = ()) -> None:
        if name in self.order:
            return
        if name in stack:
            raise SchemaNotSupportedError(f"recursive schema {' -> '.join((*stack, name))} is not supported")
        if name not in self.components:
            raise SchemaNotSupportedError(f"schema {name!r} is not in the OpenAPI document's components")
        for ref in sorted(_refs(self.components[name])):
            self.visit(ref, (*stack, name))
        self.order.append(name)

    # --- types ------------------------------------------------------------------------------

    def annotation(self, schema: Mapping[str, Any]) -> str:
        if "$ref" in schema:
            return _ref_name(schema["$ref"])
        if "anyOf" in schema or "oneOf" in schema:
            parts = [self.annotation(s) for s in schema.get("anyOf", schema.get("oneOf", []))]
            nullable = "None" in parts
            parts = [p for p in parts if p != "None"]
            return " | ".join([*dict.fromkeys(parts), *(["None"] if nullable else [])])
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.annotation(schema["allOf"][0])
        if "const" in schema:
            self.typing.add("Literal")
            return f"Literal[{_lit(schema['const'])}]"
        if "enum" in schema:
            self.typing.add("Literal")
            return f"Literal[{', '.join(_lit(v) for v in schema['enum'])}]"
        kind = schema.get("type")
        if kind is None:
            self.typing.add("Any")
            return "Any"
        if kind == "null":
            return "None"
        if kind == "string" and schema.get("format") in ("date-time", "date"):
            name = "datetime" if schema["format"] == "date-time" else "date"
            self.datetime.add(name)
            return name
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            return f"list[{self.annotation(schema.get('items', {}))}]"
        if kind == "object":
            extra = schema.get("additionalProperties", True)
            if extra is True or extra == {}:
                self.typing.add("Any")
                return "dict[str, Any]"
            if isinstance(extra, dict):
                return f"dict[str, {self.annotation(extra)}]"
        raise SchemaNotSupportedError(f"schema {dict(schema)!r} has no translation")

    def _default(self, schema: Mapping[str, Any], value: Any) -> str:
        if "$ref" in schema and isinstance(value, str):
            name = _ref_name(schema["$ref"])
            if "enum" in self.components[name]:
                return f"{name}.{self._enum_members(name)[value]}"
        if value == []:
            self.field = True
            return "Field(default_factory=list)"
        if value == {}:
            self.field = True
            return "Field(default_factory=dict)"
        return _lit(value)

    def _implicit_default(self, schema: Mapping[str, Any], annotation: str) -> str:
        """An optional property without a default: empty for containers, None otherwise."""
        if annotation.startswith("list["):
            self.field = True
            return "Field(default_factory=list)"
        if annotation.startswith("dict["):
            self.field = True
            return "Field(default_factory=dict)"
        if "$ref" in schema and "properties" in self.components[_ref_name(schema["$ref"])]:
            self.field = True
            return f"Field(default_factory={annotation})"
        return "None"

    # --- classes ----------------------------------------------------------------------------

    def _enum_members(self, name: str) -> dict[str, str]:
        values = self.components[name]["enum"]
        shared = getattr(core_enums, name, None)
        if isinstance(shared, type) and issubclass(shared, enum.Enum) and _same_enum(shared, values):
            return {m.value: m.name for m in shared}
        return {v: _member(v) for v in values}

    def render_class(self, name: str) -> str | None:
        schema = self.components[name]
        if "enum" in schema:
            if schema.get("type") != "string":
                raise SchemaNotSupportedError(f"enum {name!r} is not a string enum")
            if _same_enum(getattr(core_enums, name, None), schema["enum"]):
                self.core_imports.add(name)
                return None
            self.strenum = True
            lines = [f"class {name}(StrEnum):"]
            lines += [f"    {member} = {_lit(value)}" for value, member in self._enum_members(name).items()]
            return "\n".join(lines)
        if schema.get("type") != "object" or "properties" not in schema:
            raise SchemaNotSupportedError(f"schema {name!r} is neither an object with properties nor an enum")
        required = set(schema.get("required", []))
        lines = [f"class {name}(_ApiModel):"]
        if schema.get("description"):
            lines.append(f"    {_docstring(schema['description'])}")
            lines.append("")
        for prop, sub in schema["properties"].items():
            annotation = self.annotation(sub)
            attr = f"{prop}_" if keyword.iskeyword(prop) else _member(prop)
            alias = f"alias={_lit(prop)}" if attr != prop else ""
            if prop in required and "default" not in sub:
                value = f"Field({alias})" if alias else ""
            elif "default" in sub:
                value = self._default(sub, sub["default"])
            else:
                value = self._implicit_default(sub, annotation)
            if alias and value:
                self.field = True
                value = f"Field({alias}, default={value})" if not value.startswith("Field(") else value
            lines.append(f"    {attr}: {annotation}" + (f" = {value}" if value else ""))
        return "\n".join(lines)


def _same_enum(shared: object, values: list[str]) -> bool:
    """``shared`` is an enum class of exactly these values."""
    return isinstance(shared, type) and issubclass(shared, enum.Enum) and {m.value for m in shared} == set(values)


def _lit(value: Any) -> str:
    """A Python literal for a JSON value, quoted as the formatter writes it."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {_ref_name(schema["$ref"])} if isinstance(schema.get("$ref"), str) else set()
        return found.union(*(_refs(v) for k, v in schema.items() if k != "$ref"))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip() + '"""'


def generate(document: Mapping[str, Any], roots: Iterable[str] = UI_ROOTS) -> str:
    """The source of ``ui/api_models.py`` for ``roots`` (and every schema they reference)."""
    gen = _Generator(document.get("components", {}).get("schemas", {}))
    for root in roots:
        gen.visit(root)
    classes = [c for c in (gen.render_class(name) for name in gen.order) if c is not None]
    head = [
        f"# generated by cli/ui_models.py from the API's OpenAPI document ({document['info']['title']}"
        f" {document['info']['version']}); do not edit.",
        f"# Regenerate with: {COMMAND}",
        "# ruff: noqa: S105  (enum values such as AuthMethod.token are names, not secrets)",
        '"""The models of what the REST API answers, as the UIs read them (generated; do not edit).',
        "",
        "Unknown fields are ignored, so the API may add fields without breaking a running UI.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    stdlib = []
    if gen.datetime:
        stdlib.append(f"from datetime import {', '.join(sorted(gen.datetime))}")
    if gen.strenum:
        stdlib.append("from enum import StrEnum")
    if gen.typing:
        stdlib.append(f"from typing import {', '.join(sorted(gen.typing))}")
    head += stdlib + ([""] if stdlib else [])
    pyd = ["BaseModel", "ConfigDict", *(["Field"] if gen.field else [])]
    head.append(f"from pydantic import {', '.join(pyd)}")
    if gen.core_imports:
        head += ["", f"from core.enums import {', '.join(sorted(gen.core_imports))}"]
    base = [
        "class _ApiModel(BaseModel):",
        '    model_config = ConfigDict(extra="ignore")',
    ]
    return "\n".join(head) + "\n\n\n" + "\n\n\n".join([*(["\n".join(base)]), *classes]) + "\n"


def write(target: Path = TARGET) -> Path:
    target.write_text(generate(openapi_document()), encoding="utf-8")
    return target

"""The machine-readable Bot API (methods, types, fields) and type checking of call parameters.

The bundled ``botapi_spec.json`` is ``api.json`` from PaulSonOfLars/telegram-bot-api-spec
(MIT licence, ``BOTAPI_SPEC_LICENSE``) with the descriptions removed, so that the simulator
works from an installed package without the shared checkout. Regenerate it from a newer
``api.json`` by dropping every ``description`` key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.simulator.models import UploadedFile

BUNDLED_SPEC = Path(__file__).with_name("botapi_spec.json")

_PRIMITIVES = ("Integer", "Float", "Boolean", "String")
_ARRAY = "Array of "
_INT_RE = re.compile(r"^-?\d+$")
_ATTACH = "attach://"


class SpecError(Exception):
    """A parameter does not match the Bot API; ``depth`` says how deep inside an object."""

    def __init__(self, top: str, detail: str, depth: int = 0) -> None:
        super().__init__(detail)
        self.top = top
        self.detail = detail
        self.depth = depth

    @property
    def description(self) -> str:
        """The text after ``Bad Request: `` in Telegram's answer."""
        if self.depth == 0:
            return self.detail
        return f"can't parse {self.top}: {self.detail}"


class _DecisiveError(SpecError):
    """Reported as is whatever other types the field allows (bad JSON, missing attachment)."""


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    """One Bot API method."""

    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TypeSpec:
    """One Bot API type: either an object with fields or a union of subtypes."""

    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...]


def _fields(raw: list[dict[str, Any]]) -> dict[str, FieldSpec]:
    """Builds the field table of a method or type."""
    return {f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw}


# Telegram's own wording for some missing required parameters; the rest get a generic text.
_MISSING_TEXT = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "document": "there is no document in the request",
    "photo": "there is no photo in the request",
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
    "file_id": "invalid file_id",
}


class ApiSpec:
    """The Bot API description with a checker that coerces raw parameters to typed values."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", "?"))
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(name, _fields(m.get("fields", [])), tuple(m.get("returns", [])))
            for name, m in data["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(t.get("fields", [])), tuple(t.get("subtypes", [])))
            for name, t in data["types"].items()
        }
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path | str | None = None) -> ApiSpec:
        """Loads (and caches) the bundled spec or the ``api.json`` at ``path``."""
        return _load(str(Path(path).resolve()) if path else str(BUNDLED_SPEC))

    def find_method(self, name: str) -> MethodSpec | None:
        """Returns the method called ``name`` (any letter case), or None."""
        canonical = self._by_lower.get(name.lower())
        return self.methods[canonical] if canonical else None

    def coerce_params(
        self,
        method: MethodSpec,
        params: Mapping[str, Any],
        uploads: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        """Checks ``params`` against ``method`` and returns them with their JSON types.

        Form values arrive as strings (objects JSON-encoded), JSON bodies as native values;
        uploaded files arrive in ``uploads`` under the parameter name or an attach:// name.
        """
        out: dict[str, Any] = {}
        referenced: set[str] = set()
        for name, value in params.items():
            field = method.fields.get(name)
            if field is None:
                # Telegram itself ignores unknown parameters; rejecting them catches typos
                # and calls written against another Bot API version.
                raise SpecError(name, f'unknown parameter "{name}" for method {method.name}')
            if value is None:
                continue
            out[name] = self.coerce_value(value, field.types, name, uploads, referenced)
        for name, upload in uploads.items():
            if name in out or name in referenced:
                continue
            field = method.fields.get(name)
            if field is None:
                continue  # an attach:// part nobody referenced: harmless
            if "InputFile" not in field.types:
                raise SpecError(name, f'field "{name}" must be of type {_types_text(field.types)}')
            out[name] = upload
        for field in method.fields.values():
            if field.required and field.name not in out:
                text = _MISSING_TEXT.get(field.name, f'parameter "{field.name}" is required')
                raise SpecError(field.name, text)
        return out

    def coerce_value(
        self,
        value: Any,
        types: tuple[str, ...],
        path: str,
        uploads: Mapping[str, UploadedFile],
        referenced: set[str] | None = None,
        depth: int = 0,
    ) -> Any:
        """Returns ``value`` as the first of ``types`` it matches, or raises SpecError."""
        errors: list[SpecError] = []
        seen = referenced if referenced is not None else set()
        if isinstance(value, str) and value.startswith(_ATTACH) and "InputFile" in types:
            types = ("InputFile",)  # an attach:// reference is never a file_id or URL
        for type_name in types:
            try:
                return self._coerce_one(value, type_name, path, uploads, seen, depth)
            except SpecError as exc:
                errors.append(exc)
        for error in errors:
            if isinstance(error, _DecisiveError):
                raise error
        deepest = max(errors, key=lambda e: e.depth)
        if deepest.depth > depth:
            raise deepest
        top = path.split(".")[0].split("[")[0]
        raise SpecError(top, f'field "{path}" must be of type {_types_text(types)}', depth)

    def _coerce_one(
        self,
        value: Any,
        type_name: str,
        path: str,
        uploads: Mapping[str, UploadedFile],
        referenced: set[str],
        depth: int,
    ) -> Any:
        """Coerces ``value`` to one type (primitive, array, file or object)."""
        top = path.split(".")[0].split("[")[0]
        fail = SpecError(top, f'field "{path}" must be of type {type_name}', depth)
        if type_name.startswith(_ARRAY):
            items = _json_if_text(value, top, depth)
            if not isinstance(items, list):
                raise fail
            inner = type_name[len(_ARRAY) :]
            return [
                self.coerce_value(item, (inner,), f"{path}[{i}]", uploads, referenced, depth + 1)
                for i, item in enumerate(items)
            ]
        if type_name in _PRIMITIVES:
            return _coerce_primitive(value, type_name, fail)
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            if isinstance(value, str) and value.startswith(_ATTACH):
                name = value[len(_ATTACH) :]
                if name in uploads:
                    referenced.add(name)
                    return uploads[name]
                raise _DecisiveError(top, f'file "{name}" referenced by {path} was not uploaded')
            raise fail
        spec = self.types.get(type_name)
        if spec is None:
            raise SpecError(top, f"unknown type {type_name} in the spec", depth)
        obj = _json_if_text(value, top, depth)
        if not isinstance(obj, dict):
            raise fail
        if spec.subtypes:
            return self.coerce_value(obj, spec.subtypes, path, uploads, referenced, depth)
        return self._coerce_object(obj, spec, path, uploads, referenced, depth + 1)

    def _coerce_object(
        self,
        obj: dict[str, Any],
        spec: TypeSpec,
        path: str,
        uploads: Mapping[str, UploadedFile],
        referenced: set[str],
        depth: int,
    ) -> dict[str, Any]:
        """Checks the fields of one JSON object against its type."""
        top = path.split(".")[0].split("[")[0]
        out: dict[str, Any] = {}
        if not spec.fields:
            return dict(obj)  # types without fields (CallbackGame) accept anything
        for key, item in obj.items():
            field = spec.fields.get(key)
            if field is None:
                raise SpecError(top, f'field "{path}.{key}" is not a field of {spec.name}', depth)
            if item is None:
                continue
            out[key] = self.coerce_value(
                item, field.types, f"{path}.{key}", uploads, referenced, depth
            )
        for field in spec.fields.values():
            if field.required and field.name not in out:
                raise SpecError(
                    top, f'field "{path}.{field.name}" of {spec.name} is required', depth
                )
        return out


@cache
def _load(path: str) -> ApiSpec:
    """Reads and indexes one spec file once per process."""
    with open(path, encoding="utf-8") as fh:
        return ApiSpec(json.load(fh))


def _types_text(types: tuple[str, ...]) -> str:
    """Joins alternatives the way the docs write them."""
    return " or ".join(types)


def _json_if_text(value: Any, top: str, depth: int) -> Any:
    """Decodes a JSON-encoded form value; native JSON values pass through."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        what = "reply keyboard markup" if top == "reply_markup" else top
        raise _DecisiveError(top, f"can't parse {what} JSON object", 0) from None


def _coerce_primitive(value: Any, type_name: str, fail: SpecError) -> Any:
    """Coerces a form string or JSON scalar to Integer, Float, Boolean or String."""
    if isinstance(value, UploadedFile | dict | list):
        raise fail
    if type_name == "Integer":
        if isinstance(value, bool):
            raise fail
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        raise fail
    if type_name == "Float":
        if isinstance(value, bool):
            raise fail
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise fail from None
        raise fail
    if type_name == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise fail
    # String: Telegram turns JSON numbers into their text, but booleans are a likely bug.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise fail

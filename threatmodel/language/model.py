"""The shared base of every file model, and validation that points into the file."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from threatmodel.errors import InputError, brief

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
"""A place inside a file's data: keys and list indices from the top."""


class Located(Protocol):
    """A loaded file that can point an error at a place in it (a YAML Document)."""

    def error(self, loc: Loc, message: str) -> InputError: ...


class Model(BaseModel):
    """Frozen, and strict about unknown keys: a typo in a file is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


def format_loc(loc: Loc) -> str:
    """('when', 'all', 1, 'q') -> 'when.all[1].q'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    # Union members and discriminator tags appear in pydantic's loc; they are not in the file.
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(("<", "function-")))


def parse_model(cls: type[M], doc: Located, data: Any, at: Loc = ()) -> M:
    """Validate `data` (found at `at` inside `doc`) as `cls`, or raise an error with its line."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = (*at, *_clean_loc(err["loc"]))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            allowed = ", ".join(sorted(_field_names(cls, loc[len(at) : -1])))
            if allowed:
                message += f" (expected one of: {allowed})"
        elif err["type"] == "missing":
            message = f"missing required key '{loc[-1]}'"
            loc = loc[:-1]
        elif err["type"] == "value_error":  # a validator's own sentence, which names the value
            message = str(err.get("ctx", {}).get("error", message))
        elif "input" in err and not isinstance(err["input"], dict | list):
            message += f", got {brief(err['input'])}"
        where = format_loc(loc)
        raise doc.error(loc, f"{where}: {message}" if where else message) from None


def _field_names(cls: type[BaseModel], loc: Loc) -> list[str]:
    """Best-effort: the keys allowed at `loc` below `cls`, for a helpful 'unknown key' message."""
    model: Any = cls
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    if not hasattr(model, "model_fields"):
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None

"""Front matter settings validated by pydantic models, problems reported at ``path:LINE:``.

Each item kind (and course.md) describes its settings as a :class:`Settings` model. A field's
``description`` says what the value must be; :func:`validate` turns each validation error into
``<key> must be <description> (got <value>)`` (or the validator's own message), reports it at
the key's line through the front matter line map, and keeps the field's default, so one bad
setting never hides the others. An absent or null setting keeps its default.

Types used by the models (strict: YAML ``true`` is not a number, ``3.0`` is not a whole number):
:data:`Number`, :data:`WholeNumber`, :data:`Flag`, :data:`Text`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from lms.authoring.values import str_list

#: Error type of a validator that words its own message (reported as it is).
OWN_MESSAGE = "authoring"


def problem(message: str) -> PydanticCustomError:
    """An error whose message is reported as written (raise it from a validator)."""
    return PydanticCustomError(OWN_MESSAGE, message.replace("{", "{{").replace("}", "}}"))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


#: The largest number a setting may hold: what every supported database keeps in an INTEGER
#: column (a bigger one would make the import fail, not the lint).
MAX_SETTING = 2**31 - 1
TOO_LARGE = "too_large"


def _not_too_large(value: float) -> float:
    if abs(value) > MAX_SETTING:
        raise PydanticCustomError(TOO_LARGE, "at most {limit}", {"limit": f"{MAX_SETTING:,}"})
    return value


def _stripped_text(value: str) -> str:
    if not value.strip():
        raise problem("title must be non-empty text")
    return value.strip()


#: A finite int or float (a whole number stays an int).
Number = Annotated[StrictInt | StrictFloat, AfterValidator(_finite),
                   AfterValidator(_not_too_large)]
WholeNumber = Annotated[StrictInt, AfterValidator(_not_too_large)]
Flag = StrictBool
#: The pass mark of a quiz or assignment that sets none (percent).
DEFAULT_PASSING_SCORE = 70
#: A pass mark: a percentage.
PassMark = Annotated[StrictInt | StrictFloat, AfterValidator(_finite),
                     Field(ge=0, le=100, description="a number from 0 to 100")]
#: Non-empty text, stripped (the message names title: the only such field today).
Text = Annotated[StrictStr, AfterValidator(_stripped_text)]


def text_list(message: str) -> Callable[[Any], list[str]]:
    """A before-validator: one text or a list of texts (numbers become text), else message."""

    def convert(value: Any) -> list[str]:
        found = str_list(value)
        if found is None:
            raise problem(message)
        return found

    return convert


class Settings(BaseModel):
    """Base of the front matter models: strict types, unknown keys ignored (each parser
    reports unknown keys itself, listing the known ones)."""

    model_config = ConfigDict(strict=True, extra="ignore", validate_default=False)

    #: messages for required keys that are absent, null or blank: {key: message}
    REQUIRED: ClassVar[dict[str, str]] = {}


M = TypeVar("M", bound=Settings)
#: report(key path, message): where the caller turns the key path into a file line.
Report = Callable[[tuple[str, ...], str], None]


def validate(model: type[M], meta: Mapping[str, Any], report: Report) -> M:
    """Validate the model's keys of meta; report each problem; bad values keep their default.

    A list whose items fail one by one keeps its good items (each bad one is reported at its
    own line).
    """
    data = {key: meta[key] for key in model.model_fields if meta.get(key) is not None}
    for key, message in model.REQUIRED.items():
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            report((key,), message)
            data.pop(key, None)
    for _ in range(len(data) + 2):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            data = _drop_failures(model, data, exc, report)
    return model.model_validate({})  # pragma: no cover - every round drops a failing key


def _drop_failures(model: type[Settings], data: dict[str, Any], exc: ValidationError,
                   report: Report) -> dict[str, Any]:
    whole: set[str] = set()
    items: dict[str, set[int]] = {}
    for error in exc.errors():  # in the order of the model's fields
        key = str(error["loc"][0]) if error["loc"] else ""
        if key in whole:
            continue
        own = error["type"] == OWN_MESSAGE
        index = error["loc"][1] if len(error["loc"]) > 1 else None
        if own and isinstance(index, int):
            report((key, str(index)), error["msg"])  # one bad item of a list
            items.setdefault(key, set()).add(index)
            continue
        whole.add(key)
        if error["type"] == TOO_LARGE:
            report((key,), f"{key} is too large (got {data.get(key)!r}; at most "
                           f"{(error.get('ctx') or {}).get('limit')})")
            continue
        report((key,), error["msg"] if own else _message(model, key, data.get(key)))
    kept = {key: value for key, value in data.items() if key not in whole}
    for key, bad in items.items():
        if key in kept:
            values = str_list(kept[key]) or []
            kept[key] = [value for index, value in enumerate(values) if index not in bad]
    return kept


def _message(model: type[Settings], key: str, value: Any) -> str:
    field = model.model_fields.get(key)
    requirement = field.description if field is not None and field.description else "valid"
    return f"{key} must be {requirement} (got {value!r})"


def defaults(model: type[Settings]) -> dict[str, Any]:
    """The model's defaults as a dict (the settings of front matter that sets nothing)."""
    return {name: field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items()}

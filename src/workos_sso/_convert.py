"""Turns the API's JSON into models, and models back into JSON-ready data, with cattrs.

Structuring is strict about types (a number where a string belongs is an error, not ``"5"``) and
lenient about what may change over time: unknown keys are ignored, unknown enum values are kept as
strings, and timestamps in any ISO 8601 form become timezone-aware datetimes.

Two converters are made from the same hooks. ``converter`` structures every answer, with cattrs'
detailed validation off: it is the faster of the two. Only when it fails is the same data
structured again by ``_explaining``, whose detailed validation records where each problem is,
for the message of the :class:`DecodeError`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from ._errors import DecodeError
from ._models import Page, _StrEnum

__all__ = ["converter", "structure", "structure_page", "unstructure"]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]
#: Where a problem is: field names and list indices, from the outermost value inwards.
Where = tuple[Union[str, int], ...]


# --- Hooks for single values -----------------------------------------------------------------


def _structure_str(value: object, _: object) -> str:
    if type(value) is str:
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: object, _: object) -> int:
    if type(value) is int:  # not a bool, not a float
        return value
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _is_attribute_map(type_: Any) -> bool:
    return bool(type_ == Mapping[str, Any])


def _structure_attribute_map(value: object, _: object) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:  # servers send null for attribute maps they have nothing for
        return {}
    raise TypeError(f"expected an object, got {type(value).__name__}")


#: The ISO 8601 forms servers send: a date and a time to the second, any fraction, then a Z, an
#: offset with or without its colon, or nothing (taken as UTC).
_TIMESTAMP = re.compile(
    r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?(?:[Zz]|([+-]\d\d):?(\d\d))?", re.ASCII
)
#: How the API writes every timestamp ("2026-01-31T12:34:56.789Z"), with each digit as a zero.
_API_FORM = b"0000-00-00T00:00:00.000Z"
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
#: From Python 3.11 on, fromisoformat() reads every form the pattern accepts, in capitals.
_READS_EVERY_FORM = sys.version_info >= (3, 11)


def _structure_timestamp(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    # Nearly every timestamp is in the API's own form, and telling it by its layout costs less
    # than matching the pattern, which would add a sixth to the time of structuring a page.
    if value.isascii() and value.encode().translate(_DIGITS_AS_ZEROS) == _API_FORM:
        return datetime.fromisoformat(value if _READS_EVERY_FORM else value[:-1] + "+00:00")
    text = value.strip()
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}")
    # fromisoformat() checks the ranges: it refuses month 13, February 30 or a 25-hour offset.
    parsed = datetime.fromisoformat(text.upper() if _READS_EVERY_FORM else _narrow_form(match))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _narrow_form(match: re.Match[str]) -> str:
    """The timestamp as fromisoformat() reads it before Python 3.11: a fraction of exactly six
    digits, and an offset with a colon instead of a Z or nothing."""
    date, time, fraction, offset_hours, offset_minutes = match.groups()
    microseconds = (fraction or "")[:6].ljust(6, "0")
    offset = f"{offset_hours}:{offset_minutes}" if offset_hours else "+00:00"
    return f"{date}T{time}.{microseconds}{offset}"


def _unstructure_timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# --- Hook factories, one for each kind of type the models are made of ------------------------


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is Union and len(args) == 2 and type(None) in args


def _structure_optional(type_: Any, converter: cattrs.Converter) -> Hook:
    (inner_type,) = [arg for arg in get_args(type_) if arg is not type(None)]
    structure_inner = converter.get_structure_hook(inner_type)

    def structure_optional(value: object, _: object) -> Any:
        return None if value is None else structure_inner(value, inner_type)

    return structure_optional


def _is_lenient_enum(type_: Any) -> bool:
    """``Union[SomeEnum, str]``: the models' type for values the API may add to."""
    args = get_args(type_)
    return (
        get_origin(type_) is Union
        and len(args) == 2
        and args[1] is str
        and isinstance(args[0], type)
        and issubclass(args[0], _StrEnum)
    )


def _structure_lenient_enum(type_: Any) -> Hook:
    enum_type: type[_StrEnum] = get_args(type_)[0]
    members = {member.value: member for member in enum_type}

    def structure_enum(value: object, _: object) -> Union[_StrEnum, str]:
        if type(value) is not str:
            raise TypeError(
                f"expected a string for {enum_type.__name__}, got {type(value).__name__}"
            )
        return members.get(value, value)

    return structure_enum


def _is_array(type_: Any) -> bool:
    """``tuple[X, ...]``: the models keep JSON arrays as tuples, so that they stay immutable."""
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_array(type_: Any, converter: cattrs.Converter) -> Hook:
    # cattrs' own hook for a list of the items, which with detailed validation says which
    # item failed.
    item_type = get_args(type_)[0]
    list_type = list[item_type]  # type: ignore[valid-type]
    structure_list = converter.get_structure_hook(list_type)

    def structure_array(value: object, _: object) -> tuple[Any, ...]:
        if type(value) is list:  # a string is iterable too, but no array
            return tuple(structure_list(value, list_type))
        if value is None:
            return ()
        raise TypeError(f"expected an array, got {type(value).__name__}")

    return structure_array


def _structure_model(model: type[Any], converter: cattrs.Converter) -> Hook:
    # The API's constant type tag (``object``: "connection", "profile", ...) is the model's
    # default, so it is not read from the answer.
    if "object" in attrs.fields_dict(model):
        structure_fields = make_dict_structure_fn(model, converter, object=override(omit=True))
    else:
        structure_fields = make_dict_structure_fn(model, converter)

    def structure_model(value: object, _: object) -> Any:
        # The generated function would index into a string or a list.
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return structure_fields(value, model)

    return structure_model


def _make_converter(*, detailed_validation: bool) -> cattrs.Converter:
    """A converter with every hook. Each matches types that no other one does, so the order they
    are registered in does not matter; the factories run when a type is first structured."""
    made = cattrs.Converter(
        detailed_validation=detailed_validation,
        # Models hold tuples so they stay immutable; JSON wants lists.
        unstruct_collection_overrides={tuple: list},
    )
    made.register_structure_hook(str, _structure_str)
    made.register_structure_hook(int, _structure_int)
    made.register_structure_hook(datetime, _structure_timestamp)
    made.register_unstructure_hook(datetime, _unstructure_timestamp)
    # An enum of the models is a str subclass, which cattrs would pass through as it is.
    made.register_unstructure_hook(_StrEnum, lambda member: member.value)
    made.register_structure_hook_func(_is_attribute_map, _structure_attribute_map)
    made.register_structure_hook_factory(_is_optional, _structure_optional)
    made.register_structure_hook_factory(_is_lenient_enum, _structure_lenient_enum)
    made.register_structure_hook_factory(_is_array, _structure_array)
    made.register_structure_hook_factory(attrs.has, _structure_model)
    return made


converter = _make_converter(detailed_validation=False)
_explaining = _make_converter(detailed_validation=True)


# --- Structuring answers ---------------------------------------------------------------------


def structure(data: object, model: type[T], *, what: str) -> T:
    """Structure decoded JSON into ``model``, raising :class:`DecodeError` on any mismatch.

    ``what`` names the response in the error message (for example ``"GET /connections/{id}"``).
    """
    if not isinstance(data, dict):
        raise DecodeError(
            f"The response to {what} was a JSON {type(data).__name__}, not the object expected."
        )
    try:
        return converter.structure(data, model)
    except Exception:
        explained = _explain(data, model)
        (where, problem), *others = _problems(explained)
        raise DecodeError(
            f"The response to {what} does not have the shape of a {model.__name__}: "
            f"{_describe(where, problem, len(others))}"
        ) from explained


def structure_page(data: object, item_model: type[T], *, what: str) -> Page[T]:
    """Structure a ``{"data": [...], "list_metadata": {...}}`` list response into a Page."""
    if not isinstance(data, dict):
        raise DecodeError(f"The response to {what} was not a JSON object.")
    items = data.get("data")
    metadata = data.get("list_metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(items, list) or not isinstance(metadata, dict):
        raise DecodeError(f"The response to {what} is not a list with data and list_metadata.")
    before, after = metadata.get("before"), metadata.get("after")
    if not (before is None or type(before) is str) or not (after is None or type(after) is str):
        raise DecodeError(f"The response to {what} has page cursors that are not strings.")
    items_type = tuple[item_model, ...]  # type: ignore[valid-type]
    try:
        structured: tuple[T, ...] = converter.structure(items, items_type)
    except Exception:
        explained = _explain(items, items_type)
        ((index, *where), problem), *others = _problems(explained)
        raise DecodeError(
            f"Item {index} of the response to {what} does not have the shape of a "
            f"{item_model.__name__}: {_describe(where, problem, len(others))}"
        ) from explained
    return Page(data=structured, before=before, after=after)


def _explain(data: object, type_: Any) -> Exception:
    """What the converter with detailed validation raises for data the fast one refused."""
    try:
        _explaining.structure(data, type_)
    except Exception as explained:
        return explained
    # Both converters have the same hooks: they accept and refuse the same data.
    raise AssertionError(f"{type_!r} refused only without detailed validation")


def _problems(error: BaseException, where: Where = ()) -> Iterator[tuple[Where, BaseException]]:
    """Each problem that cattrs' detailed validation gathered in ``error``, with where it is."""
    steps: list[tuple[BaseException, Union[str, int]]]
    without_notes: list[Exception]
    if isinstance(error, ClassValidationError):
        fields, without_notes = error.group_exceptions()
        steps = [(inner, note.name) for inner, note in fields]
    elif isinstance(error, IterableValidationError):
        items, without_notes = error.group_exceptions()
        # cast: mypy reads the note's index as the method of str, which the note subclasses.
        steps = [(inner, cast(int, note.index)) for inner, note in items]
    else:
        yield where, error
        return
    for inner, step in steps:
        yield from _problems(inner, (*where, step))
    for inner in without_notes:
        yield where, inner


def _describe(where: Sequence[Union[str, int]], problem: BaseException, others: int) -> str:
    """Say what is wrong, naming the field (``domains[0].id``) where there is one."""
    described = f"{type(problem).__name__}: {str(problem)[:200]}"
    if where:
        steps = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in where)
        field = steps.lstrip(".")
        if isinstance(problem, KeyError):
            described = f"the field {field!r} is missing"
        else:
            described = f"the field {field!r} is wrong ({described})"
    if others:
        described += f" (and {others} more problem{'s' if others > 1 else ''})"
    return described


# --- Unstructuring ---------------------------------------------------------------------------


def unstructure(model: object) -> dict[str, Any]:
    """Turn any model back into JSON-ready data (``json.dumps`` accepts it), losing no field.

    Enums become their strings, timestamps ISO 8601 text, tuples lists. For a session, prefer
    the smaller [`SessionUser`][workos_sso.SessionUser]: a profile's attribute maps may hold
    personal data.

    Example:
        ```python
        data = unstructure(connection)
        json.dumps(data)  # {"id": "conn_...", "state": "active", ...}
        ```
    """
    result: dict[str, Any] = converter.unstructure(model)
    return result

"""The one cattrs converter that turns API JSON into models and models back into JSON-ready data.

Structuring is strict about types (a number where a string belongs is an error, not ``"5"``) and
lenient about what may change over time: unknown keys are ignored, unknown enum values are kept as
strings, and timestamps in any ISO 8601 form become timezone-aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar, Union

import cattrs

from ._errors import DecodeError
from ._models import ConnectionState, ConnectionType, Order, Page, Provider, _StrEnum

__all__ = ["converter", "structure", "structure_page", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(
    detailed_validation=False,
    # Models hold tuples so they stay immutable; JSON wants lists.
    unstruct_collection_overrides={tuple: list},
)

_ISO_8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime; a naive one is taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    # Written out because datetime.fromisoformat() before Python 3.11 rejects "Z" and
    # fractions that are not 3 or 6 digits long, both of which servers send.
    text = value.strip()
    match = _ISO_8601.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}")
    # The regex has accepted the shape; the C parser then does the arithmetic several times
    # faster for the forms every Python since 3.7 reads (the API's own "...T12:34:56.789Z").
    # Anything it refuses on this Python falls through to the arithmetic below.
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if match.group(8) else text)
    except ValueError:
        pass
    else:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    tz = timezone.utc
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )


def _format_timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _structure_str(value: object, _: object) -> str:
    if type(value) is str:
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_mapping(value: object, _: object) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:  # servers send null for attribute maps they have nothing for
        return {}
    raise TypeError(f"expected an object, got {type(value).__name__}")


def _is_optional(type_: Any) -> bool:
    args = getattr(type_, "__args__", ())
    return getattr(type_, "__origin__", None) is Union and len(args) == 2 and type(None) in args


def _structure_optional_factory(type_: Any) -> Callable[[object, object], Any]:
    # cattrs' own Optional hook looks the inner type's hook up again on every value; resolving
    # it once here makes the many Optional fields of a page of connections cheaper to read.
    (inner_type,) = [arg for arg in type_.__args__ if arg is not type(None)]
    structure_inner = converter.get_structure_hook(inner_type)

    def structure_optional(value: object, _: object) -> Any:
        return None if value is None else structure_inner(value, inner_type)

    return structure_optional


def _is_homogeneous_tuple(type_: Any) -> bool:
    args: tuple[Any, ...] = getattr(type_, "__args__", ())
    return getattr(type_, "__origin__", None) is tuple and len(args) == 2 and args[1] is Ellipsis


def _structure_tuple_factory(type_: Any) -> Callable[[object, object], tuple[Any, ...]]:
    item_type = type_.__args__[0]
    structure_item = converter.get_structure_hook(item_type)

    def structure_tuple(value: object, _: object) -> tuple[Any, ...]:
        # A JSON string is iterable too; only a JSON array may become a tuple.
        if isinstance(value, list):
            return tuple([structure_item(item, item_type) for item in value])
        if value is None:
            return ()
        raise TypeError(f"expected an array, got {type(value).__name__}")

    return structure_tuple


def _tolerant_enum(enum_type: type[_StrEnum]) -> Callable[[object, object], Union[_StrEnum, str]]:
    members: dict[str, _StrEnum] = {member.value: member for member in enum_type}

    def structure_enum(value: object, _: object) -> Union[_StrEnum, str]:
        if type(value) is not str:
            raise TypeError(
                f"expected a string for {enum_type.__name__}, got {type(value).__name__}"
            )
        return members.get(value, value)

    return structure_enum


def _register_exact(type_: Any, hook: Callable[[Any, Any], Any]) -> None:
    # Generic aliases and unions are not classes, so they are matched by equality.
    converter.register_structure_hook_func(lambda candidate: candidate == type_, hook)


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook_factory(_is_homogeneous_tuple, _structure_tuple_factory)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(datetime, lambda value, _: parse_timestamp(value))
converter.register_unstructure_hook(datetime, _format_timestamp)
_register_exact(Mapping[str, Any], _structure_mapping)
for _enum in (ConnectionType, ConnectionState, Provider, Order):
    _register_exact(Union[_enum, str], _tolerant_enum(_enum))
    converter.register_unstructure_hook(_enum, lambda member: member.value)
# Registered last so it is consulted first, and finds the hooks above for the inner types.
converter.register_structure_hook_factory(_is_optional, _structure_optional_factory)


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
    except Exception as exc:
        raise DecodeError(
            f"The response to {what} does not have the shape of a {model.__name__}: "
            f"{_describe(exc)}"
        ) from exc


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
    structure_item = converter.get_structure_hook(item_model)
    try:
        structured = tuple([structure_item(item, item_model) for item in items])
    except Exception as exc:
        raise DecodeError(
            f"An item in the response to {what} does not have the shape of a "
            f"{item_model.__name__}: {_describe(exc)}"
        ) from exc
    return Page(data=structured, before=before, after=after)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def unstructure(model: object) -> dict[str, Any]:
    """Turn any model back into JSON-ready data (``json.dumps`` accepts it), losing no field."""
    result: dict[str, Any] = converter.unstructure(model)
    return result

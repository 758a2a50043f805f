"""The one cattrs converter that turns API JSON into models and models back into JSON-ready data.

Structuring is strict about types (a number where a string belongs is an error, not ``"5"``) and
lenient about what may change over time: unknown keys are ignored, unknown enum values are kept as
strings, and timestamps in any ISO 8601 form become timezone-aware datetimes.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, TypeVar, Union

import attrs
import cattrs

from . import _models
from ._errors import DecodeError
from ._models import ConnectionState, ConnectionType, Order, Page, Provider, _StrEnum

__all__ = ["converter", "structure", "structure_page", "unstructure"]

T = TypeVar("T")

converter = cattrs.Converter(
    detailed_validation=False,
    # Models hold tuples so they stay immutable; JSON wants lists.
    unstruct_collection_overrides={tuple: list},
)

_ISO_8601_PATTERN = (
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)
_ISO_8601 = re.compile(_ISO_8601_PATTERN)
# The same language without capturing groups, which makes a match cheaper: it
# checks the shape, and the groups are only needed when fromisoformat() cannot do the rest.
_ISO_8601_SHAPE = re.compile(re.sub(r"\((?!\?)", "(?:", _ISO_8601_PATTERN))
# CPython's fromisoformat() is written in C and takes ASCII digits only; the pure-Python one
# (PyPy) reads numbers with int(), which also takes "+1" or "1_0", so it gets no shortcut.
_STRICT_FROMISOFORMAT = isinstance(datetime.fromisoformat, types.BuiltinMethodType)
_READS_ZULU = sys.version_info >= (3, 11)


def parse_timestamp(value: object, _type: object = None) -> datetime:
    """Parse an ISO 8601 timestamp into an aware datetime; a naive one is taken as UTC.

    The second argument is ignored: it lets the function serve as the converter's hook itself.
    """
    if type(value) is str:
        if (
            _STRICT_FROMISOFORMAT
            and len(value) == 24
            and value[23] == "Z"
            and value[4:20:3] == "--T::."
        ):
            # The API's own form, "2026-01-31T12:34:56.789Z": with every separator in place,
            # C's fromisoformat() accepts exactly what the pattern does (ASCII digits in the
            # other places), so the pattern match can be skipped. A refusal takes the long way.
            try:
                return datetime.fromisoformat(value if _READS_ZULU else value[:23] + "+00:00")
            except ValueError:
                pass
    elif isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 timestamp string, got {type(value).__name__}")
    text = value.strip()
    if _ISO_8601_SHAPE.fullmatch(text) is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:40]!r}")
    # The shape is accepted; the C parser then does the arithmetic faster than by hand for
    # the forms every Python since 3.7 reads (the API's own "...T12:34:56.789Z"). A shape ending
    # in Z/z has no other offset, so the Z becomes the +00:00 older Pythons insist on.
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return _parse_timestamp_by_hand(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_timestamp_by_hand(text: str) -> datetime:
    # Written out because datetime.fromisoformat() before Python 3.11 rejects "Z" and
    # fractions that are not 3 or 6 digits long, both of which servers send.
    match = _ISO_8601.fullmatch(text)
    if match is None:  # pragma: no cover - the shape was checked by the caller
        raise ValueError(f"not an ISO 8601 timestamp: {text[:40]!r}")
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
    raise _not_a_string(value)


def _not_a_string(value: object) -> TypeError:
    return TypeError(f"expected a string, got {type(value).__name__}")


def _not_an_object(value: object) -> TypeError:
    return TypeError(f"expected an object, got {type(value).__name__}")


def _structure_int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_optional_str(value: object, _: object) -> Optional[str]:
    if value is None or type(value) is str:
        return value
    raise _not_a_string(value)


def _structure_optional_mapping(value: object, _: object) -> Optional[Mapping[str, Any]]:
    if value is None or isinstance(value, dict):
        return value
    raise _not_an_object(value)


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
    structure_fields = _structure_dicts_hook(item_type)

    def structure_tuple(value: object, _: object) -> tuple[Any, ...]:
        # A JSON string is iterable too; only a JSON array may become a tuple.
        if isinstance(value, list):
            return tuple(
                [
                    # The model's generated function for a JSON object (every item, in a good
                    # answer); the checked hook for anything else, to raise the right error.
                    (structure_fields if type(item) is dict else structure_item)(item, item_type)
                    for item in value
                ]
            )
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
converter.register_structure_hook(datetime, parse_timestamp)
converter.register_unstructure_hook(datetime, _format_timestamp)
_register_exact(Mapping[str, Any], _structure_mapping)
for _enum in (ConnectionType, ConnectionState, Provider, Order):
    _register_exact(Union[_enum, str], _tolerant_enum(_enum))
    converter.register_unstructure_hook(_enum, lambda member: member.value)
# Registered last so it is consulted first, and finds the hooks above for the inner types.
converter.register_structure_hook_factory(_is_optional, _structure_optional_factory)
# The optional fields a page of connections is mostly made of, checked in one call each rather
# than through the generic optional hook and then the inner one.
_register_exact(Optional[str], _structure_optional_str)
_register_exact(Optional[Mapping[str, Any]], _structure_optional_mapping)


# --- Structuring models ----------------------------------------------------------------------
#
# Each model gets the function cattrs generates for it (detailed validation off, so a missing
# field is a KeyError and a wrong value the hook's TypeError), behind one check that the value
# is a JSON object at all: cattrs would otherwise index into a string or a list.


def _is_model(type_: Any) -> bool:
    return (
        isinstance(type_, type)
        and attrs.has(type_)
        and type_.__module__ == _models.__name__
        and not getattr(type_, "__parameters__", ())  # a generic such as Page[T]
    )


#: Each model's generated function itself, for callers that have checked for a dict already.
_FIELDS_HOOKS: dict[type[Any], Callable[[Any, Any], Any]] = {}


def _structure_model_factory(model: type[Any]) -> Callable[[Any, Any], Any]:
    # ``object`` is the API's constant type tag ("connection", "profile", ...): the model's
    # default is the same string, so it is not read from each answer.
    if _has_tag(model):
        structure_fields = cattrs.gen.make_dict_structure_fn(
            model, converter, object=cattrs.gen.override(omit=True)
        )
    else:
        structure_fields = cattrs.gen.make_dict_structure_fn(model, converter)
    _FIELDS_HOOKS[model] = structure_fields

    def structure_model(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise _not_an_object(value)
        return structure_fields(value, model)

    return structure_model


def _has_tag(model: type[Any]) -> bool:
    field = getattr(attrs.fields(model), "object", None)
    return field is not None and isinstance(field.default, str)


def _structure_dicts_hook(item_type: Any) -> Callable[[Any, Any], Any]:
    """The hook for items of a JSON array of ``item_type``; for a model, one that expects the
    caller to have checked each item is a dict (one call per item instead of two)."""
    structure_item = converter.get_structure_hook(item_type)
    return _FIELDS_HOOKS.get(item_type, structure_item)


converter.register_structure_hook_factory(_is_model, _structure_model_factory)


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
            f"{_describe(exc, data, model)}"
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
    structure_item = _structure_dicts_hook(item_model)
    try:
        if not all(type(item) is dict for item in items):
            raise _not_an_object(next(item for item in items if type(item) is not dict))
        structured = tuple([structure_item(item, item_model) for item in items])
    except Exception as exc:
        # Which item, found again only now: the loop above stays as fast as it can be.
        index = next(
            (number for number, item in enumerate(items) if not _structures(item, item_model)), 0
        )
        problem = _describe(exc, items[index], item_model)
        raise DecodeError(
            f"Item {index} of the response to {what} does not have the shape of a "
            f"{item_model.__name__}: {problem}"
        ) from exc
    return Page(data=structured, before=before, after=after)


def _describe(exc: BaseException, data: object, model: Any) -> str:
    """Say what is wrong, naming the field (``domains[0].id``) where it can be found."""
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing"
    problem = f"{type(exc).__name__}: {str(exc)[:200]}"
    where = _find_bad_field(data, model)
    return f"the field {where!r} is wrong ({problem})" if where else problem


def _structures(value: object, type_: Any) -> bool:
    try:
        converter.get_structure_hook(type_)(value, type_)
    except Exception:
        return False
    return True


def _find_bad_field(data: object, model: Any) -> Optional[str]:
    # Only runs once structuring has failed, so it may take the slow way: field by field.
    if not (isinstance(model, type) and attrs.has(model) and isinstance(data, dict)):
        return None
    for field in attrs.fields(attrs.resolve_types(model)):
        if field.name not in data or _structures(data[field.name], field.type):
            continue
        value = data[field.name]
        field_type = field.type
        if _is_optional(field_type):
            (field_type,) = [arg for arg in field_type.__args__ if arg is not type(None)]
        inner = _find_bad_field(value, field_type)
        if inner is None and _is_homogeneous_tuple(field_type) and isinstance(value, list):
            item_type = field_type.__args__[0]
            for number, item in enumerate(value):
                if not _structures(item, item_type):
                    deeper = _find_bad_field(item, item_type)
                    return f"{field.name}[{number}]" + (f".{deeper}" if deeper else "")
        return f"{field.name}.{inner}" if inner else field.name
    return None


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

"""HTTP for the WorkOS API without I/O: the request and answer types and the body limits.

``_protocol`` builds each operation's ``Request`` and reads each ``Response`` or ``Fault``; the
transports fill these from their HTTP library and otherwise know nothing of WorkOS.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple, Optional, Union

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_BODY_BYTES",
    "MAX_ERROR_BODY_BYTES",
    "Action",
    "BodyReader",
    "Fault",
    "FaultKind",
    "Outcome",
    "Pause",
    "Request",
    "Response",
]

#: No SSO response comes near this; a larger body is a misdirected or hostile server.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: An error's body only carries a message: past this much, the rest is not read, so a huge or
#: endless error body can neither exhaust memory nor stall a retry.
MAX_ERROR_BODY_BYTES = 64 * 1024
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


# --- What goes over the wire ------------------------------------------------------------------


# The wire's value types are named tuples rather than attrs classes: immutable and compared by
# value all the same, and far cheaper to define, which `import workos_sso` pays for.

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Request(NamedTuple):
    """One HTTP request to the API, ready for a transport to send.

    ``headers`` are only those this request adds to or changes in the client's own headers
    (:attr:`SSOProtocol.headers`). ``secrets`` are values to keep out of every error message.
    """

    method: str
    path: str
    params: Optional[Mapping[str, str]] = None
    body: Optional[bytes] = None
    headers: Mapping[str, str] = _NO_HEADERS
    secrets: tuple[str, ...] = ()

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice has the same effect as sending it once."""
        return self.method in IDEMPOTENT_METHODS

    def __repr__(self) -> str:  # headers, body and secrets may hold credentials
        return f"Request({self.method} {self.path})"


class Response(NamedTuple):
    """What the server answered: status, headers (case-insensitive lookups) and the body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def request_id(self) -> Optional[str]:
        return self.headers.get("X-Request-ID")

    def __repr__(self) -> str:  # the body may echo credentials back
        return f"Response({self.status} {self.reason}, {len(self.body)} bytes)"


class FaultKind(enum.Enum):
    """Why no usable answer came back, as far as retrying and reporting need to know."""

    #: The connection could not be made (refused, unresolvable): the request was never sent.
    CONNECT = "connect"
    #: Connecting took longer than the connect timeout: the request was never sent.
    CONNECT_TIMEOUT = "connect timeout"
    #: The answer took longer than the read timeout: the server may have acted on the request.
    READ_TIMEOUT = "read timeout"
    #: The connection broke, or the answer was not HTTP, after the request was sent.
    BROKEN = "broken"
    #: The body was larger than MAX_BODY_BYTES.
    TOO_LARGE = "too large"
    #: The body could not be undone from its Content-Encoding.
    UNDECODABLE = "undecodable"


class Fault(NamedTuple):
    """A request that got no usable answer; ``detail`` is the HTTP library's own words."""

    kind: FaultKind
    detail: str = ""

    @property
    def request_never_sent(self) -> bool:
        return self.kind in (FaultKind.CONNECT, FaultKind.CONNECT_TIMEOUT)


class Pause(NamedTuple):
    """Wait this many seconds before the next attempt."""

    seconds: float


Outcome = Union[Response, Fault]
Action = Union[Request, Pause]


class BodyReader:
    """Collects an answer's body as a transport reads it, within the size limits.

    A transport feeds it chunks while :meth:`add` returns True, then asks for the
    :meth:`outcome`. A successful answer larger than ``MAX_BODY_BYTES`` is a ``Fault``; an
    error answer is cut at ``MAX_ERROR_BODY_BYTES`` and keeps its status. A transport that
    stops early closes the connection instead of returning it to its pool.
    """

    __slots__ = ("_chunks", "_limit", "_size", "_status", "too_large")

    def __init__(self, status: int, declared_length: Optional[int]) -> None:
        self._status = status
        self._limit = MAX_BODY_BYTES if 200 <= status < 300 else MAX_ERROR_BODY_BYTES
        self._chunks: list[bytes] = []
        self._size = 0
        self.too_large = declared_length is not None and declared_length > self._limit

    @property
    def wants_more(self) -> bool:
        return not self.too_large

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the limit is passed and reading should stop."""
        room = self._limit - self._size
        self._chunks.append(chunk[:room])
        self._size += len(chunk)
        self.too_large = self._size > self._limit
        return not self.too_large

    def outcome(self, reason: str, headers: Mapping[str, str]) -> Outcome:
        if self.too_large and 200 <= self._status < 300:
            return Fault(FaultKind.TOO_LARGE)
        return Response(self._status, reason, headers, b"".join(self._chunks))

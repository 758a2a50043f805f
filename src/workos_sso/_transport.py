"""The synchronous transport: sends a protocol ``Request`` through ``requests`` and hands back a
``Response`` or a ``Fault``.

It knows nothing of WorkOS, models or retries: ``_protocol.exchange`` decides what to send, when
to retry and what an answer means. urllib3's own retries are off, so each attempt is one send.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, MutableMapping
from typing import Optional, Union, cast

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

from ._config import POOL_SIZE
from ._wire import Action, BodyReader, Fault, FaultKind, Outcome, Pause, Request

__all__ = ["SyncTransport"]

_CHUNK_BYTES = 64 * 1024
#: How a ``Pause`` is waited out: looked up on each pause, so the offline tests can take the
#: protocol's pauses on a fake clock instead of the wall clock.
_sleep = time.sleep


class SyncTransport:
    """Sends requests to one base URL through a pooled ``requests`` session."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
        session: Optional[requests.Session] = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._owns_session = session is None
        self._closes_session = self._owns_session
        self._session = session if session is not None else requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        # Mounted for the API's base URL only: a session the user passes in keeps its own
        # adapters for every other host.
        self._session.mount(base_url + "/", adapter)
        self._adapter = adapter
        self._headers: MutableMapping[str, str] = dict(headers)
        if self._owns_session:
            # A session that trusts the environment reads the proxy variables (scanning all of
            # os.environ) and ~/.netrc again on every request. Every request of this client goes
            # to one host, so read them once here, as httpx does when a client is created. This
            # also stops a ~/.netrc entry from replacing the API key with Basic credentials.
            found = self._session.merge_environment_settings(base_url + "/", {}, None, None, None)
            self._session.trust_env = False
            self._session.proxies = found["proxies"]
            self._session.verify = found["verify"]
            # The session the client made has no hooks, auth, cookies or mounts of anyone
            # else's to honour, so its requests go straight to the adapter (see _send_direct),
            # with the session's own headers merged once here instead of on every call.
            merged = cast("CaseInsensitiveDict[str]", CaseInsensitiveDict(self._session.headers))
            merged.update(self._headers)
            self._headers = merged

    def view(self, timeout: tuple[float, float]) -> SyncTransport:
        """A transport on the same session and pool with another timeout; closing it leaves
        them open."""
        other = copy.copy(self)
        other.timeout = timeout
        other._closes_session = False
        return other

    def close(self) -> None:
        if self._closes_session:
            self._session.close()

    def perform(self, action: Action) -> Optional[Outcome]:
        """Send a request, or take a pause; what ``_protocol.exchange`` asks for next."""
        if isinstance(action, Pause):
            _sleep(action.seconds)
            return None
        return self.send(action)

    def send(self, request: Request) -> Outcome:
        headers = self._headers
        if request.headers:
            headers = CaseInsensitiveDict(headers)
            headers.update(request.headers)
        try:
            if self._owns_session:
                response = self._send_direct(request, headers)
            else:
                response = self._session.request(
                    request.method,
                    self.base_url + request.path,
                    params=request.params,
                    data=request.body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                    # An explicit auth keeps requests from applying ~/.netrc or session.auth,
                    # either of which would replace the API key in the Authorization header.
                    auth=_keep_headers,
                )
            try:
                return _read(response)
            finally:
                response.close()
        except requests.RequestException as exc:
            return _fault(exc)

    def _send_direct(
        self, request: Request, headers: MutableMapping[str, str]
    ) -> requests.Response:
        # What Session.send does for a session without auth, cookies or hooks: the same
        # PreparedRequest steps, then the adapter.
        prepared = requests.PreparedRequest()
        prepared.prepare_method(request.method)
        prepared.prepare_url(self.base_url + request.path, request.params)
        prepared.prepare_headers(headers)
        prepared.prepare_body(request.body, None)
        return self._adapter.send(
            prepared,
            stream=True,
            timeout=self.timeout,
            verify=True if self._session.verify is None else self._session.verify,
            cert=self._session.cert,
            proxies=self._session.proxies,
        )


def _keep_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _read(response: requests.Response) -> Outcome:
    declared = response.headers.get("Content-Length", "")
    body = BodyReader(response.status_code, int(declared) if declared.isdigit() else None)
    # urllib3 2 raises on a body cut short of its Content-Length; urllib3 1.26 does so only when
    # asked, and otherwise returns what came, which may even parse as JSON.
    if getattr(response.raw, "enforce_content_length", True) is False:
        response.raw.enforce_content_length = True
    if body.wants_more:
        for chunk in response.iter_content(_CHUNK_BYTES):
            if not body.add(chunk):
                break
    reason = response.reason if isinstance(response.reason, str) else ""
    return body.outcome(reason, response.headers)


def _fault(exc: requests.RequestException) -> Fault:
    """What kind of failure a requests exception is, in the protocol's terms."""
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return Fault(FaultKind.UNDECODABLE)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Fault(FaultKind.BROKEN, "the connection broke while the response was being read")
    reason: object = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", None) or reason  # urllib3's MaxRetryError wraps the cause
    kind: FaultKind
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError)
    ):
        kind = FaultKind.CONNECT_TIMEOUT
    elif isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        kind = FaultKind.READ_TIMEOUT
    elif isinstance(reason, NewConnectionError):  # refused, or the name did not resolve
        kind = FaultKind.CONNECT
    else:
        kind = FaultKind.BROKEN
    return Fault(kind, _describe(reason))


def _describe(reason: Union[object, BaseException]) -> str:
    # urllib3's errors hold (connection or pool, text); the text alone reads better.
    args = getattr(reason, "args", ())
    if args and isinstance(args[-1], str):
        return args[-1]
    return str(reason)

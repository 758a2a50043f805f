"""``SSOClient``: one method per operation of the WorkOS SSO API.

The client validates arguments, builds URLs and bodies, and turns JSON into models; the HTTP
details live in ``_transport``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Optional, Union
from urllib.parse import quote, urlencode, urlsplit

import requests

from ._convert import structure, structure_page
from ._errors import ConfigurationError, InvalidParameterError
from ._models import (
    Connection,
    ConnectionType,
    LogoutAuthorization,
    Order,
    Page,
    Profile,
    ProfileAndToken,
    Provider,
    _StrEnum,
)
from ._pagination import Pager
from ._transport import Timeout, Transport
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "SSOClient"]

DEFAULT_BASE_URL = "https://api.workos.com"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def _user_agent() -> str:
    return (
        f"workos-sso-python/{__version__} python/{'.'.join(map(str, sys.version_info[:3]))} "
        f"requests/{requests.__version__}"
    )


class SSOClient:
    """A client for the WorkOS SSO API, bound to one API key and one client id.

    A client holds a connection pool; create one per process and share it between threads.
    Use it as a context manager, or call [`close`][workos_sso.SSOClient.close], to release its
    connections.

    Args:
        api_key: the WorkOS API key (``sk_test_...`` or ``sk_live_...``).
        client_id: the WorkOS client id (``client_...``).
        base_url: the API's root; point it at ``workos emulate`` for local development.
        timeout: seconds to wait, either one number for connecting and reading, or a
            ``(connect, read)`` pair. The default is 5 seconds to connect and 30 to read.
        max_retries: how many times a failed request may be retried (0 turns retries off).
            Only requests that are safe to repeat are retried: see the docs on retries.
        max_retry_wait: the longest the client waits before a retry, in seconds. A server that
            asks for a longer wait with ``Retry-After`` gets a
            [`RateLimitError`][workos_sso.RateLimitError] at once.
        session: a ``requests.Session`` to send requests through, for proxies or custom TLS.
            The client mounts its retrying adapter on it for ``base_url`` only and leaves it
            open on [`close`][workos_sso.SSOClient.close].

    Attributes:
        base_url: the API root requests go to, without a trailing slash.
        client_id: the client id sent with sign-ins and token exchanges.

    Raises:
        ConfigurationError: the key, client id or base URL is malformed.

    Example:
        ```python
        with SSOClient(api_key="sk_test_...", client_id="client_...") as sso:
            url = sso.get_authorization_url(
                redirect_uri="https://app.example.com/callback", organization="org_123"
            )
        ```
    """

    def __init__(
        self,
        *,
        api_key: str,
        client_id: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        max_retry_wait: float = 10.0,
        session: Optional[requests.Session] = None,
    ) -> None:
        _check_prefixed("api_key", api_key, "sk_", "WORKOS_API_KEY")
        _check_prefixed("client_id", client_id, "client_", "WORKOS_CLIENT_ID")
        self._base_url = _check_base_url(base_url)
        timeout = _check_timeout(timeout)
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ConfigurationError("max_retries must be a whole number, 0 or more.")
        if (
            not isinstance(max_retry_wait, (int, float))
            or isinstance(max_retry_wait, bool)
            or not max_retry_wait >= 0  # also refuses NaN, which compares false to everything
        ):
            raise ConfigurationError("max_retry_wait must be a number of seconds, 0 or more.")
        self._client_id = client_id
        self._transport = Transport(
            base_url=self._base_url,
            api_key=api_key,
            user_agent=_user_agent(),
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            session=session,
        )
        self._api_key = api_key

    @property
    def base_url(self) -> str:
        """The API's root URL, without a trailing slash (read-only)."""
        return self._base_url

    @property
    def client_id(self) -> str:
        """The client id sent with authorization URLs and token exchanges (read-only)."""
        return self._client_id

    @classmethod
    def from_env(cls, *, environ: Optional[Mapping[str, str]] = None, **options: Any) -> SSOClient:
        """Create a client from ``WORKOS_API_KEY``, ``WORKOS_CLIENT_ID`` and ``WORKOS_BASE_URL``.

        Args:
            environ: where to read the variables; defaults to ``os.environ``.
            **options: passed on to the constructor (``timeout``, ``max_retries``, ...).

        Returns:
            A new client. ``WORKOS_BASE_URL`` is optional and defaults to the production API.

        Raises:
            ConfigurationError: a variable is missing or malformed; the message names it.

        Example:
            ```python
            sso = SSOClient.from_env(timeout=10.0, max_retries=2)
            ```
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for variable, argument in (
            ("WORKOS_API_KEY", "api_key"),
            ("WORKOS_CLIENT_ID", "client_id"),
        ):
            value = env.get(variable, "").strip()
            if not value:
                raise ConfigurationError(f"Set the environment variable {variable}.")
            values[argument] = value
        base_url = env.get("WORKOS_BASE_URL", "").strip()
        if base_url:
            values["base_url"] = base_url
        return cls(**values, **options)

    def __repr__(self) -> str:
        return f"SSOClient(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> SSOClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the client's pooled connections (a session passed in stays open)."""
        self._transport.close()

    # --- Sign-in ---------------------------------------------------------------------------

    def get_authorization_url(
        self,
        *,
        redirect_uri: str,
        connection: Optional[str] = None,
        organization: Optional[str] = None,
        provider: Union[Provider, str, None] = None,
        state: Optional[str] = None,
        domain_hint: Optional[str] = None,
        login_hint: Optional[str] = None,
        nonce: Optional[str] = None,
        provider_scopes: Optional[Sequence[str]] = None,
        provider_query_params: Optional[Mapping[str, str]] = None,
        prompt: Optional[Literal["login"]] = None,
        client_id: Optional[str] = None,
    ) -> str:
        """Build the URL that starts a sign-in; redirect the user's browser to it.

        Exactly one of ``connection`` (a connection id), ``organization`` (an organization id)
        or ``provider`` (an OAuth provider such as ``"GoogleOAuth"``) selects where the user
        signs in. Nothing is sent to WorkOS: the URL is built locally.

        Args:
            redirect_uri: the absolute callback URL, registered exactly in the dashboard.
            state: an opaque value echoed back to the callback; bind it to the user's session
                and check it there to stop cross-site request forgery.
            domain_hint: pre-fills the identity provider's domain (OAuth providers).
            login_hint: pre-fills the user's email at the identity provider.
            nonce: echoed back inside the ID token, for replay protection.
            provider_scopes: extra OAuth scopes to request from the provider.
            provider_query_params: extra query parameters for the provider's own sign-in page.
            prompt: ``"login"`` makes the identity provider ask for credentials again.
            client_id: overrides the client's own client id.

        Returns:
            The full ``/sso/authorize`` URL, with every parameter percent-encoded.

        Raises:
            InvalidParameterError: no selector or more than one, a relative ``redirect_uri``,
                or an option of the wrong type.

        Example:
            ```python
            url = sso.get_authorization_url(
                redirect_uri="https://app.example.com/callback",
                organization="org_01EHZNVPK3SFK441A1RGBFSHRT",
                state=state,
            )
            ```
        """
        selectors = {"connection": connection, "organization": organization, "provider": provider}
        chosen = [name for name, value in selectors.items() if value is not None]
        if len(chosen) != 1:
            given = f" (got {' and '.join(chosen)})" if chosen else ""
            raise InvalidParameterError(
                "Pass exactly one of connection, organization or provider to choose where the "
                f"user signs in{given}."
            )
        if not all(
            value is None or (isinstance(value, str) and value) for value in selectors.values()
        ):
            raise InvalidParameterError(f"{chosen[0]} must be a non-empty string.")
        redirect_parts = urlsplit(redirect_uri) if isinstance(redirect_uri, str) else None
        if redirect_parts is None or not redirect_parts.scheme or not redirect_parts.netloc:
            raise InvalidParameterError(
                "redirect_uri must be an absolute URL such as https://app.example.com/callback."
            )
        if redirect_parts.scheme.lower() in _SCRIPT_SCHEMES:
            # Native apps may use their own schemes, but these would run code in the browser.
            raise InvalidParameterError(
                f"redirect_uri must not use the {redirect_parts.scheme}: scheme."
            )
        if prompt is not None and prompt != "login":
            raise InvalidParameterError('prompt accepts only "login".')
        query: list[tuple[str, str]] = [
            ("client_id", client_id or self.client_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            (chosen[0], str(selectors[chosen[0]])),
        ]
        optional = (
            ("state", state),
            ("domain_hint", domain_hint),
            ("login_hint", login_hint),
            ("nonce", nonce),
            ("prompt", prompt),
        )
        for name, value in optional:
            if value is not None:
                query.append((name, _text(name, value)))
        if provider_scopes is not None:
            if isinstance(provider_scopes, str):
                raise InvalidParameterError("provider_scopes must be a list of scopes.")
            scopes = [_text("provider_scopes", scope) for scope in provider_scopes]
            if scopes:
                query.append(("provider_scopes", ",".join(scopes)))
        if provider_query_params is not None:
            if not isinstance(provider_query_params, Mapping):
                raise InvalidParameterError("provider_query_params must be a mapping.")
            for key, value in provider_query_params.items():
                name = f"provider_query_params[{_text('provider_query_params', key)}]"
                query.append((name, _text(name, value)))
        return f"{self.base_url}/sso/authorize?{urlencode(query, quote_via=quote)}"

    def get_profile_and_token(self, code: str) -> ProfileAndToken:
        """Exchange the authorization code from the callback for the user's profile and token.

        A code lives 10 minutes and can be exchanged once. This request is never sent twice
        once it may have reached WorkOS (only a refused connection or a 429 is retried).

        Args:
            code: the ``code`` query parameter of the callback request.

        Returns:
            The user's profile, and an access token for
            [`get_profile`][workos_sso.SSOClient.get_profile].

        Raises:
            InvalidGrantError: the code expired, was already used or is unknown; send the user
                back to sign in.
            InvalidClientError: the client id or API key is wrong for this environment.
            UnauthorizedClientError, OAuthError: other OAuth failures.
            NetworkError, RequestTimeoutError, DecodeError: see
                [`WorkOSError`][workos_sso.WorkOSError].

        Example:
            ```python
            try:
                result = sso.get_profile_and_token(request.args["code"])
            except InvalidGrantError:
                return redirect("/login")  # expired or already used: sign in again
            session["user_id"] = result.profile.id
            ```
        """
        code = _required_text("code", code)
        body = {
            "client_id": self.client_id,
            "client_secret": self._api_key,
            "grant_type": "authorization_code",
            "code": code,
        }
        data = self._transport.request("POST", "/sso/token", json_body=body, secrets=(code,))
        return structure(data, ProfileAndToken, what="POST /sso/token")

    def get_profile(self, access_token: str) -> Profile:
        """Fetch the profile an access token belongs to.

        Args:
            access_token: the ``access_token`` from
                [`get_profile_and_token`][workos_sso.SSOClient.get_profile_and_token].

        Returns:
            The same profile the token exchange returned.

        Raises:
            AuthenticationError: the access token is invalid or expired.
        """
        token = _required_text("access_token", access_token)
        data = self._transport.request("GET", "/sso/profile", bearer=token)
        return structure(data, Profile, what="GET /sso/profile")

    # --- Connections -----------------------------------------------------------------------

    def list_connections(
        self,
        *,
        connection_type: Union[ConnectionType, str, None] = None,
        domain: Optional[str] = None,
        organization_id: Optional[str] = None,
        search: Optional[str] = None,
        limit: Optional[int] = None,
        before: Optional[str] = None,
        after: Optional[str] = None,
        order: Union[Order, str, None] = None,
    ) -> Pager[Connection]:
        """List connections matching every filter given, fetching pages as iteration needs them.

        Args:
            connection_type: only connections of this type (``"OktaSAML"``, ...).
            domain: only connections for this email domain.
            organization_id: only this organization's connections.
            search: a free-text search over connection names.
            limit: page size, 1 to 100 (the API's default is 10).
            before: start from this cursor and walk backwards (a page's ``before`` cursor).
            after: start from this cursor and walk forwards (a page's ``after`` cursor).
            order: ``"desc"`` (newest first, the default), ``"asc"`` or ``"normal"``.

        Returns:
            A lazy [`Pager`][workos_sso.Pager]: iterate it for connections, or call
            ``.pages()``.

        Raises:
            InvalidParameterError: ``limit`` is outside 1 to 100 (raised here, not on iteration).

        Example:
            ```python
            for connection in sso.list_connections(domain="foo-corp.com", limit=100):
                print(connection.id, connection.state)
            ```
        """
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100
        ):
            raise InvalidParameterError("limit must be a whole number from 1 to 100.")
        filters: dict[str, str] = {}
        for name, value in (
            ("connection_type", connection_type),
            ("domain", domain),
            ("organization_id", organization_id),
            ("search", search),
            ("order", order),
        ):
            if value is not None:
                filters[name] = _text(name, value)
        if limit is not None:
            filters["limit"] = str(limit)

        def fetch_page(page_before: Optional[str], page_after: Optional[str]) -> Page[Connection]:
            params = dict(filters)
            if page_before is not None:
                params["before"] = page_before
            if page_after is not None:
                params["after"] = page_after
            data = self._transport.request("GET", "/connections", params=params)
            return structure_page(data, Connection, what="GET /connections")

        return Pager(
            fetch_page,
            before=None if before is None else _text("before", before),
            after=None if after is None else _text("after", after),
        )

    def get_connection(self, connection_id: str) -> Connection:
        """Fetch one connection by id.

        Args:
            connection_id: the connection's id (``conn_...``).

        Raises:
            NotFoundError: no connection has this id in the key's environment.
        """
        path = f"/connections/{_path_segment('connection_id', connection_id)}"
        data = self._transport.request("GET", path)
        return structure(data, Connection, what="GET /connections/{id}")

    def delete_connection(self, connection_id: str) -> None:
        """Delete a connection. Its users can no longer sign in through it.

        Args:
            connection_id: the connection's id (``conn_...``).

        Raises:
            NotFoundError: no connection has this id (for example, it was already deleted).
                Not raised when the 404 answers a retry of this same request, since the
                attempt before it will then have deleted the connection.
        """
        path = f"/connections/{_path_segment('connection_id', connection_id)}"
        # A retried DELETE whose first attempt did the work meets a 404: the connection is
        # gone either way, which is what the caller asked for.
        self._transport.request("DELETE", path, decode=False, gone_after_retry_ok=True)

    # --- Sign-out --------------------------------------------------------------------------

    def authorize_logout(self, *, profile_id: str) -> LogoutAuthorization:
        """Start single logout for a profile: returns the URL to send the user's browser to.

        Args:
            profile_id: the ``id`` of the signed-in user's [`Profile`][workos_sso.Profile].

        Raises:
            NotFoundError: no profile has this id.
        """
        body = {"profile_id": _required_text("profile_id", profile_id)}
        data = self._transport.request("POST", "/sso/logout/authorize", json_body=body)
        return structure(data, LogoutAuthorization, what="POST /sso/logout/authorize")

    def get_logout_url(self, logout_token: str) -> str:
        """Build the logout redirect URL for a token from ``authorize_logout``.

        Nothing is sent to WorkOS: the URL is built locally.

        Args:
            logout_token: the ``logout_token`` of a
                [`LogoutAuthorization`][workos_sso.LogoutAuthorization].

        Raises:
            InvalidParameterError: the token is empty or not a string.
        """
        token = _required_text("logout_token", logout_token)
        return f"{self.base_url}/sso/logout?{urlencode({'token': token}, quote_via=quote)}"

    def get_jwks_url(self, *, client_id: Optional[str] = None) -> str:
        """The URL of the JSON Web Key Set that verifies this client's access tokens.

        Args:
            client_id: another client id than the client's own.

        Raises:
            InvalidParameterError: the client id is empty or not a string.
        """
        segment = _path_segment("client_id", client_id or self.client_id)
        return f"{self.base_url}/sso/jwks/{segment}"


def _text(name: str, value: object) -> str:
    if isinstance(value, _StrEnum):
        return str(value.value)
    if isinstance(value, str):
        return value
    raise InvalidParameterError(f"{name} must be a string, not {type(value).__name__}.")


def _required_text(name: str, value: object) -> str:
    text = _text(name, value)
    if not text:
        raise InvalidParameterError(f"{name} must not be empty.")
    return text


def _path_segment(name: str, value: object) -> str:
    # Quoting everything, "/" included, keeps an id like "../sso/token" inside its segment.
    text = _required_text(name, value)
    if text in (".", ".."):
        # A dot segment is resolved away by urllib3 before sending: ".." would reach "/".
        raise InvalidParameterError(f"{name} must be an id, not {text!r}.")
    return quote(text, safe="")


def _check_prefixed(argument: str, value: object, prefix: str, variable: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{argument} is missing: pass it, or set {variable}.")
    if not value.startswith(prefix) or value != value.strip():
        raise ConfigurationError(
            f"{argument} must start with {prefix!r} and have no spaces: check {variable}."
        )


def _check_timeout(timeout: object) -> Timeout:
    def seconds(value: object) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and 0 < value < float("inf")  # also refuses NaN
        )

    if seconds(timeout):
        return float(timeout)  # type: ignore[arg-type]
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(map(seconds, timeout)):
        return (float(timeout[0]), float(timeout[1]))
    # None would mean "wait for ever", which no sign-in request should do.
    raise ConfigurationError(
        "timeout must be a positive number of seconds, or a (connect, read) pair of them."
    )


def _check_base_url(base_url: object) -> str:
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string: check WORKOS_BASE_URL.")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL}: check WORKOS_BASE_URL."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            "base_url must not have a query, fragment or credentials: check WORKOS_BASE_URL."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        # The API key travels in every request; plain HTTP is only for a local emulator.
        raise ConfigurationError(
            "base_url must use https except for localhost: check WORKOS_BASE_URL."
        )
    return base_url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    import ipaddress  # only needed for a plain-http base URL, so kept off the import path

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""``SSOClient``: one method per operation of the WorkOS SSO API, on ``requests``.

What each method sends and how its answer is read live in ``_protocol``; this module only runs
those calls through the synchronous transport.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Optional, TypeVar, Union

import requests

from ._base_client import BaseClient
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_LEEWAY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    ClientOptions,
    Timeout,
    check_leeway,
)
from ._errors import WorkOSError
from ._models import (
    AccessTokenClaims,
    Connection,
    ConnectionType,
    LogoutAuthorization,
    Order,
    Profile,
    ProfileAndToken,
)
from ._pagination import Pager
from ._protocol import Call
from ._transport import SyncTransport

if TYPE_CHECKING:
    from ._tokens import TokenVerifier

__all__ = ["SSOClient"]

T = TypeVar("T")


class SSOClient(BaseClient):
    """A client for the WorkOS SSO API, bound to one API key and one client id.

    A client holds a connection pool; create one per process and share it between threads.
    Use it as a context manager, or call [`close`][workos_sso.SSOClient.close], to release its
    connections.

    Args:
        api_key: the WorkOS API key (``sk_test_...`` or ``sk_live_...``). Leave it out for a
            public client (a command-line tool, a desktop app): it builds URLs and exchanges
            PKCE codes only, and raises ``ConfigurationError`` for what needs the key.
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

    _transport: SyncTransport

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        client_id: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        session: Optional[requests.Session] = None,
    ) -> None:
        options = ClientOptions.check(
            api_key=api_key,
            client_id=client_id,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
        )
        self._set_up(
            options,
            http_library=f"requests/{requests.__version__}",
            transport=lambda headers: SyncTransport(
                base_url=options.base_url, headers=headers, timeout=options.timeout, session=session
            ),
        )

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
        """Release the client's pooled connections (a session passed in stays open).

        A client made by ``with_options`` shares its original's pool: closing it does nothing.
        """
        self._transport.close()

    def _run(self, call: Call[T]) -> T:
        # Drives the protocol's exchange: it says what to send and when to wait, and returns
        # the result or raises the typed error once no retry is left.
        steps = self._protocol.run(call)
        action = next(steps)
        while True:
            try:
                action = steps.send(self._transport.perform(action))
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]

    # --- Sign-in ---------------------------------------------------------------------------

    def with_options(
        self,
        *,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        max_retry_wait: Optional[float] = None,
    ) -> SSOClient:
        """A client with other timeout or retry options, sharing this one's pool and credentials.

        For one call that needs other settings than the rest: the original client is
        unchanged, and options not given keep its values. The new client uses this client's
        connection pool, so closing it closes nothing; close the original when done.

        Args:
            timeout: seconds, or a ``(connect, read)`` pair.
            max_retries: retries after the first attempt.
            max_retry_wait: the longest wait before a retry, in seconds.

        Raises:
            ConfigurationError: an option is malformed.

        Example:
            ```python
            result = sso.with_options(timeout=3.0, max_retries=0).get_profile_and_token(code)
            ```
        """
        return self._with_options(
            timeout=timeout, max_retries=max_retries, max_retry_wait=max_retry_wait
        )

    def get_profile_and_token(
        self, code: str, *, code_verifier: Optional[str] = None
    ) -> ProfileAndToken:
        """Exchange the authorization code from the callback for the user's profile and token.

        A code lives 10 minutes and can be exchanged once. This request is never sent twice
        once it may have reached WorkOS (only a refused connection or a 429 is retried).

        Args:
            code: the ``code`` query parameter of the callback request.
            code_verifier: the PKCE verifier whose challenge started the sign-in
                ([`PKCE`][workos_sso.PKCE]). Required for a public client.

        Returns:
            The user's profile, and an access token for
            [`get_profile`][workos_sso.SSOClient.get_profile].

        Raises:
            InvalidGrantError: the code expired, was already used or is unknown; send the user
                back to sign in.
            InvalidClientError: the client id or API key is wrong for this environment.
            UnauthorizedClientError, OAuthError: other OAuth failures.
            ConfigurationError: a public client was given no ``code_verifier``.
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
        return self._run(self._protocol.profile_and_token(code, code_verifier))

    def get_profile(self, access_token: str) -> Profile:
        """Fetch the profile an access token belongs to.

        Args:
            access_token: the ``access_token`` from
                [`get_profile_and_token`][workos_sso.SSOClient.get_profile_and_token].

        A round trip to WorkOS, which sees a revoked token; to check a bearer token on every
        request of an API, [`verify_access_token`][workos_sso.SSOClient.verify_access_token]
        does it offline.

        Returns:
            The same profile the token exchange returned.

        Raises:
            AccessTokenRejectedError: WorkOS refused the access token (expired or revoked);
                both an ``AuthenticationError`` and an ``AccessTokenError``.
        """
        return self._run(self._protocol.profile(access_token))

    def verify_access_token(
        self, access_token: str, *, leeway: float = DEFAULT_LEEWAY
    ) -> AccessTokenClaims:
        """Check a user's access token offline, against the client's key set (JWKS).

        For an API that receives WorkOS access tokens as bearer credentials: no request to
        WorkOS per call, only the first (and, rarely, a refresh of the keys). The token must be
        an RS256 JWT signed by a key of ``GET /sso/jwks/{client_id}``, for this client id
        (``aud``), from this ``base_url`` (``iss``, when present), and not expired. A revoked
        token is still accepted until it expires; [`get_profile`][workos_sso.SSOClient.get_profile]
        asks WorkOS instead. Needs the ``jwt`` extra: ``pip install 'workos-sso[jwt]'``.

        Args:
            access_token: the token, without the ``Bearer`` prefix.
            leeway: seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat`` (0 to 300).

        Returns:
            The token's claims: the profile and organization ids, when it was issued and
            when it expires.

        Raises:
            InvalidAccessTokenError: the token is malformed, forged, for another client or
                not valid yet; the ``reason`` says which (it never holds the token).
            ExpiredAccessTokenError: the token has expired.
            JWKSError: the key set could not be fetched, so nothing is known about the token
                (answer 503, not 401).
            ConfigurationError: the ``jwt`` extra is not installed.

        Example:
            ```python
            try:
                claims = sso.verify_access_token(bearer_token)
            except AccessTokenError:
                return 401
            user = users.get(claims.profile_id)
            ```
        """
        verifier = self._token_verifier()
        leeway = check_leeway(leeway)
        unverified = verifier.parse(access_token)  # a malformed token never causes a fetch
        if verifier.needs_fetch(unverified.kid):
            with verifier.lock:  # threads that find no key wait for one fetch
                if verifier.needs_fetch(unverified.kid):
                    self._fetch_jwks(verifier)
        return verifier.finish(unverified, leeway=leeway)

    def _fetch_jwks(self, verifier: TokenVerifier) -> None:
        verifier.fetching()
        try:
            keys = self._run(self._protocol.jwks())
        except WorkOSError as error:
            verifier.fetch_failed(error)
        else:
            verifier.store(keys)

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
        listing = self._protocol.list_connections(
            connection_type=connection_type,
            domain=domain,
            organization_id=organization_id,
            search=search,
            limit=limit,
            before=before,
            after=after,
            order=order,
        )
        return Pager(
            lambda page_before, page_after: self._run(listing.page(page_before, page_after)),
            before=listing.before,
            after=listing.after,
        )

    def get_connection(self, connection_id: str) -> Connection:
        """Fetch one connection by id.

        Args:
            connection_id: the connection's id (``conn_...``).

        Raises:
            NotFoundError: no connection has this id in the key's environment.
        """
        return self._run(self._protocol.connection(connection_id))

    def delete_connection(self, connection_id: str) -> None:
        """Delete a connection. Its users can no longer sign in through it.

        Args:
            connection_id: the connection's id (``conn_...``).

        Raises:
            NotFoundError: no connection has this id (for example, it was already deleted).
                Not raised when the 404 answers a retry of this same request, since the
                attempt before it will then have deleted the connection.
        """
        self._run(self._protocol.delete_connection(connection_id))

    # --- Sign-out --------------------------------------------------------------------------

    def authorize_logout(self, *, profile_id: str) -> LogoutAuthorization:
        """Start single logout for a profile: returns the URL to send the user's browser to.

        Args:
            profile_id: the ``id`` of the signed-in user's [`Profile`][workos_sso.Profile].

        Raises:
            NotFoundError: no profile has this id.
        """
        return self._run(self._protocol.authorize_logout(profile_id))

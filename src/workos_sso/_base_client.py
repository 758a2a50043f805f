"""What ``SSOClient`` and ``AsyncSSOClient`` share: options, properties and the URL builders.

Building a URL sends nothing, so these methods are the same plain methods on both clients.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, Protocol, TypeVar, Union

from ._config import ClientOptions, Timeout, options_from_env
from ._models import Provider
from ._protocol import SSOProtocol
from ._version import __version__

if TYPE_CHECKING:
    from ._tokens import TokenVerifier

__all__ = ["BaseClient"]

ClientT = TypeVar("ClientT", bound="BaseClient")
TransportT = TypeVar("TransportT", bound="_Transport")


class _Transport(Protocol):
    def view(self: TransportT, timeout: tuple[float, float]) -> TransportT: ...


class BaseClient:
    """The options and URL builders of both clients; not used on its own."""

    _protocol: SSOProtocol
    _http_library: str
    _transport: _Transport
    #: Holds the client's ``TokenVerifier`` once a token is verified: made empty with the
    #: client, and copied by ``with_options``, so a client and those made from it share keys.
    _verifier_box: list[TokenVerifier]

    def _set_up(
        self,
        options: ClientOptions,
        *,
        http_library: str,
        transport: Callable[[Mapping[str, str]], _Transport],
        verifier_box: Optional[list[TokenVerifier]] = None,
    ) -> None:
        """Set every field of a client: the one place a client's state is made.

        ``transport`` makes the transport from the headers every request carries.
        """
        self._http_library = http_library
        user_agent = (
            f"workos-sso-python/{__version__} "
            f"python/{'.'.join(map(str, sys.version_info[:3]))} {http_library}"
        )
        self._protocol = SSOProtocol(options, user_agent=user_agent)
        self._transport = transport(self._protocol.headers)
        self._verifier_box = [] if verifier_box is None else verifier_box

    @property
    def base_url(self) -> str:
        """The API's root URL, without a trailing slash (read-only)."""
        return self._protocol.options.base_url

    @property
    def client_id(self) -> str:
        """The client id sent with authorization URLs and token exchanges (read-only)."""
        return self._protocol.options.client_id

    @classmethod
    def from_env(
        cls: type[ClientT],
        *,
        environ: Optional[Mapping[str, str]] = None,
        public_client: bool = False,
        **options: Any,
    ) -> ClientT:
        """Create a client from ``WORKOS_API_KEY``, ``WORKOS_CLIENT_ID`` and ``WORKOS_BASE_URL``.

        Args:
            environ: where to read the variables; defaults to ``os.environ``.
            public_client: make a public client, without the API key (PKCE sign-ins only),
                even if ``WORKOS_API_KEY`` is set; only ``WORKOS_CLIENT_ID`` is required.
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
        environ = os.environ if environ is None else environ
        values = options_from_env(environ, public_client=public_client)
        create: Any = cls  # each client's constructor takes these as keyword arguments
        client: ClientT = create(**values, **options)
        return client

    @property
    def is_public(self) -> bool:
        """Whether this is a public client, made without the API key (PKCE sign-ins only)."""
        return self._protocol.options.api_key is None

    def _with_options(
        self: ClientT,
        *,
        timeout: Optional[Timeout],
        max_retries: Optional[int],
        max_retry_wait: Optional[float],
    ) -> ClientT:
        changes: dict[str, object] = {
            name: value
            for name, value in (
                ("timeout", timeout),
                ("max_retries", max_retries),
                ("max_retry_wait", max_retry_wait),
            )
            if value is not None
        }
        options = self._protocol.options.evolve(**changes)
        # Not through the constructor, which would open a pool of its own: the new client is set
        # up field by field, on a view of this client's transport (the options changed here do
        # not change the headers) and with the same verifier box.
        derived = object.__new__(type(self))
        derived._set_up(
            options,
            http_library=self._http_library,
            transport=lambda _headers: self._transport.view(options.timeout),
            verifier_box=self._verifier_box,
        )
        return derived

    def _token_verifier(self) -> TokenVerifier:
        if not self._verifier_box:
            from ._tokens import TokenVerifier  # loaded by the first verification only

            self._verifier_box.append(
                TokenVerifier(client_id=self.client_id, base_url=self.base_url)
            )
        return self._verifier_box[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, base_url={self.base_url!r})"

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
        code_challenge: Optional[str] = None,
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
            code_challenge: a PKCE S256 challenge ([`PKCE`][workos_sso.PKCE]); sent with
                ``code_challenge_method=S256``. Pass the verifier to the code exchange.

        Returns:
            The full ``/sso/authorize`` URL, with every parameter percent-encoded.

        Raises:
            InvalidParameterError: no selector or more than one, a relative ``redirect_uri``,
                a malformed ``code_challenge``, or an option of the wrong type.

        Example:
            ```python
            url = sso.get_authorization_url(
                redirect_uri="https://app.example.com/callback",
                organization="org_01EHZNVPK3SFK441A1RGBFSHRT",
                state=state,
            )
            ```
        """
        return self._protocol.authorization_url(
            redirect_uri=redirect_uri,
            connection=connection,
            organization=organization,
            provider=provider,
            state=state,
            domain_hint=domain_hint,
            login_hint=login_hint,
            nonce=nonce,
            provider_scopes=provider_scopes,
            provider_query_params=provider_query_params,
            prompt=prompt,
            client_id=client_id,
            code_challenge=code_challenge,
        )

    def get_logout_url(self, logout_token: str) -> str:
        """Build the logout redirect URL for a token from ``authorize_logout``.

        Nothing is sent to WorkOS: the URL is built locally.

        Args:
            logout_token: the ``logout_token`` of a
                [`LogoutAuthorization`][workos_sso.LogoutAuthorization].

        Raises:
            InvalidParameterError: the token is empty or not a string.
        """
        return self._protocol.logout_url(logout_token)

    def get_jwks_url(self, *, client_id: Optional[str] = None) -> str:
        """The URL of the JSON Web Key Set that verifies this client's access tokens.

        Args:
            client_id: another client id than the client's own.

        Raises:
            InvalidParameterError: the client id is empty or not a string.
        """
        return self._protocol.jwks_url(client_id)

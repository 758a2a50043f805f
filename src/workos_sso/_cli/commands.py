"""The commands and their arguments (argparse), and :func:`main`, which runs one."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, TextIO, TypeVar
from urllib.parse import urlsplit

from .. import (
    ConfigurationError,
    InvalidParameterError,
    Order,
    Provider,
    SSOClient,
    WorkOSError,
    __version__,
    unstructure,
)
from .._config import DEFAULT_BASE_URL
from .browser import is_local_url
from .doctor import run_doctor
from .output import (
    CONNECTION_HEADERS,
    EXIT_CLOSED_PIPE,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Progress,
    TableWriter,
    cell,
    connection_fields,
    connection_row,
    error_line,
    exchange_fields,
    exchange_json,
    format_fields,
    format_table,
    is_terminal,
    json_document,
    json_line,
    profile_fields,
    profile_json,
    write_checks,
)
from .settings import SETTINGS, Settings, read_dotenv, resolve_settings
from .verify import VerifyOptions, run_verify

__all__ = ["UsageError", "build_parser", "main"]

PROG = "workos-sso"
_Number = TypeVar("_Number", int, float)
#: Stands in for the API key when a command builds a URL locally and never sends a request.
_UNSENT_API_KEY = "sk_unused_building_urls_only"


class UsageError(Exception):
    """A mistake in how the command was called; reported with exit code 2."""


@dataclass
class Context:
    args: argparse.Namespace
    settings: Settings
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    @property
    def as_json(self) -> bool:
        return bool(self.args.json)

    @property
    def raw(self) -> bool:
        return bool(self.args.raw)

    def client(self, *, needs_api_key: bool = True) -> SSOClient:
        settings = self.settings
        api_key = settings.api_key
        if not api_key:
            if needs_api_key:
                raise UsageError(
                    "no API key: set WORKOS_API_KEY (in the environment or .env) or pass --api-key."
                )
            api_key = _UNSENT_API_KEY
        if not settings.client_id:
            raise UsageError(
                "no client id: set WORKOS_CLIENT_ID (in the environment or .env) or pass "
                "--client-id."
            )
        return SSOClient(api_key=api_key, client_id=settings.client_id, base_url=settings.base_url)

    def write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.stdout.write(line + "\n")

    def show(self, document: object, lines: Iterable[str]) -> int:
        """Write ``document`` as JSON with --json, else ``lines``; the command succeeded."""
        if self.as_json:
            self.stdout.write(json_document(document))
        else:
            self.write_lines(lines)
        return EXIT_OK


def command_connections_list(ctx: Context) -> int:
    args = ctx.args
    page_size = args.limit if args.limit is not None else (100 if args.all else None)
    with ctx.client() as client:
        pager = client.list_connections(
            connection_type=args.type,
            domain=args.domain,
            organization_id=args.organization_id,
            search=args.search,
            limit=page_size,
            order=args.order,
            before=args.before,
            after=args.after,
        )
        if not args.all:
            page = next(pager.pages())
            if ctx.as_json:
                ctx.stdout.write(
                    json_document(
                        {
                            "data": [unstructure(item) for item in page.data],
                            "list_metadata": {"before": page.before, "after": page.after},
                        }
                    )
                )
            else:
                ctx.write_lines(
                    format_table(CONNECTION_HEADERS, [connection_row(c) for c in page.data])
                )
                backwards = args.before is not None and args.after is None
                cursor = page.before if backwards else page.after
                if cursor:
                    flag = "--before" if backwards else "--after"
                    ctx.stderr.write(f"More connections: add {flag} {cursor}, or --all.\n")
            return EXIT_OK
        progress = Progress(ctx.stderr)
        table = TableWriter(ctx.stdout, CONNECTION_HEADERS)
        count = 0
        try:
            for number, page in enumerate(pager.pages(), start=1):
                # Each page is written and dropped before the next is fetched.
                progress.clear()
                if ctx.as_json:
                    for connection in page.data:
                        ctx.stdout.write(json_line(unstructure(connection)))
                    ctx.stdout.flush()
                else:
                    table.write([connection_row(connection) for connection in page.data])
                count += len(page.data)
                progress.show(f"{count} connections, {number} pages fetched...")
        finally:
            progress.clear()
    return EXIT_OK


def command_connections_get(ctx: Context) -> int:
    with ctx.client() as client:
        connection = client.get_connection(ctx.args.connection_id)
    return ctx.show(unstructure(connection), format_fields(connection_fields(connection)))


def command_connections_delete(ctx: Context) -> int:
    connection_id: str = ctx.args.connection_id
    interactive = not ctx.args.yes
    if interactive and not is_terminal(ctx.stdin):
        raise UsageError(
            "refusing to delete without --yes: standard input is not a terminal to confirm on."
        )
    with ctx.client() as client:
        if interactive:
            connection = client.get_connection(connection_id)
            ctx.stderr.write(
                f"Delete connection {connection.id} ({cell(connection.name)}, "
                f"{cell(connection.state)})? Its users can no longer sign in through it. [y/N] "
            )
            ctx.stderr.flush()
            answer = ctx.stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                ctx.stderr.write("Cancelled: nothing was deleted.\n")
                return EXIT_FAILURE
        client.delete_connection(connection_id)
    return ctx.show(
        {"deleted": True, "id": connection_id}, [f"Deleted connection {connection_id}."]
    )


def command_authorize_url(ctx: Context) -> int:
    args = ctx.args
    redirect_uri = ctx.settings.redirect_uri
    if not redirect_uri:
        raise UsageError("no redirect URI: pass --redirect-uri or set WORKOS_REDIRECT_URI.")
    # Building the URL sends nothing, so the API key is not required for this command.
    with ctx.client(needs_api_key=False) as client:
        url = client.get_authorization_url(
            redirect_uri=redirect_uri,
            connection=args.connection,
            organization=args.organization,
            provider=args.provider,
            state=args.state,
            login_hint=args.login_hint,
            domain_hint=args.domain_hint,
            nonce=args.nonce,
            provider_scopes=args.scope,
            prompt="login" if args.prompt_login else None,
        )
    return ctx.show({"url": url}, [url])


def command_exchange(ctx: Context) -> int:
    code = _argument_or_stdin(ctx, ctx.args.code, "code")
    with ctx.client() as client:
        result = client.get_profile_and_token(code)
    return ctx.show(
        exchange_json(result, raw=ctx.raw), format_fields(exchange_fields(result, raw=ctx.raw))
    )


def command_profile(ctx: Context) -> int:
    token = _argument_or_stdin(ctx, ctx.args.access_token, "access token")
    with ctx.client() as client:
        profile = client.get_profile(token)
    return ctx.show(
        profile_json(profile, raw=ctx.raw), format_fields(profile_fields(profile, raw=ctx.raw))
    )


def command_logout(ctx: Context) -> int:
    with ctx.client() as client:
        logout = client.authorize_logout(profile_id=ctx.args.profile_id)
    return ctx.show({"logout_url": logout.logout_url}, [logout.logout_url])


def command_version(ctx: Context) -> int:
    return ctx.show({"version": __version__}, [f"{PROG} {__version__}"])


def command_doctor(ctx: Context) -> int:
    return write_checks(ctx.stdout, run_doctor(ctx.settings), as_json=ctx.as_json)


def command_verify(ctx: Context) -> int:
    args = ctx.args
    for flag, url in (("--login-url", args.login_url), ("--protected-url", args.protected_url)):
        web = url is not None and urlsplit(url).scheme in ("http", "https")
        if url is not None and not (web and is_local_url(url)):
            raise UsageError(f"{flag} must be an http(s) URL on this machine (loopback).")
    # Only an explicitly configured base URL joins loopback on the allow-list: never WorkOS's
    # default, which would show a real sign-in page and not redirect back.
    emulator_url = ctx.settings.base_url if "base_url" in ctx.settings.sources else None
    options = VerifyOptions(
        login_url=args.login_url,
        email=args.email,
        protected_url=args.protected_url,
        signed_in_text=args.signed_in_text,
        emulator_url=emulator_url,
        timeout=args.timeout,
    )
    return write_checks(ctx.stdout, run_verify(options), as_json=ctx.as_json)


def _argument_or_stdin(ctx: Context, value: str, what: str) -> str:
    """``-`` reads the value from standard input, keeping it out of shell history and ``ps``."""
    if value != "-":
        return value
    text = ctx.stdin.readline().strip()
    if not text:
        raise UsageError(f"expected the {what} on standard input, got nothing.")
    return text


# --- Parser --------------------------------------------------------------------------------


def _parsed(text: str, convert: Callable[[str], _Number], noun: str) -> _Number:
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None


def _page_size(text: str) -> int:
    value = _parsed(text, int, "a whole number")
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be from 1 to 100")
    return value


def _seconds(text: str) -> float:
    value = _parsed(text, float, "a number")
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 300")
    return value


def _add_global_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    # Accepted before and after the command; a subcommand leaves unset what it was not given.
    unset: Any = argparse.SUPPRESS if in_subcommand else None
    flag_unset: Any = argparse.SUPPRESS if in_subcommand else False
    group = parser.add_argument_group("settings and output")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=unset,
        help="WorkOS API key (default: $WORKOS_API_KEY); the environment keeps it out of ps",
    )
    group.add_argument(
        "--client-id", metavar="ID", default=unset, help="client id (default: $WORKOS_CLIENT_ID)"
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=unset,
        help=f"API root (default: $WORKOS_BASE_URL or {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--json", action="store_true", default=flag_unset, help="print JSON instead of a table"
    )
    group.add_argument(
        "--raw",
        action="store_true",
        default=flag_unset,
        help="include profiles' raw and custom attributes and identity-provider tokens",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with a "did you mean" for a mistyped command or choice (``connectoins``)."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is None or value in choices:
            return
        names = [str(choice) for choice in choices]
        message = f"invalid choice: {value!r} (choose from {', '.join(map(repr, names))})"
        raise argparse.ArgumentError(action, message + _did_you_mean(str(value), names))


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """The parser of the (sub)command ``args`` chose: ``connections list``'s, say."""
    while True:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(args, action.dest or "", None)
                if name in action.choices:
                    parser = action.choices[name]
                    break
        else:
            return parser


def _parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """``parser.parse_args``, with a "did you mean" for each unknown flag (``--domian``)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        chosen = _chosen_parser(parser, args)
        flags = [flag for action in chosen._actions for flag in action.option_strings]
        hints = "".join(
            _did_you_mean(extra.split("=", 1)[0], flags)
            for extra in extras
            if extra.startswith("-")
        )
        chosen.error(f"unrecognized arguments: {' '.join(extras)}{hints}")
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="The WorkOS SSO API from the command line. Settings come from flags, the "
        "environment, then a .env file in the working directory.",
        epilog="Exit codes: 0 success, 1 API or network error, 2 usage error, 141 output "
        "closed early (| head).",
    )
    parser.add_argument(
        "-V",
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help="print the version",
    )
    _add_global_options(parser, in_subcommand=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        parent: Any, name: str, handler: Callable[[Context], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help_text, description=help_text
        )
        _add_global_options(sub, in_subcommand=True)
        sub.set_defaults(handler=handler)
        return sub

    connections = commands.add_parser(
        "connections", help="list, show or delete connections", description="Connections."
    )
    connection_commands = connections.add_subparsers(
        dest="connections_command", metavar="ACTION", required=True
    )
    listing = command(
        connection_commands, "list", command_connections_list, "list connections (one page)"
    )
    listing.add_argument("--domain", help="only connections for this email domain")
    listing.add_argument("--organization-id", metavar="ID", help="only this organization's")
    listing.add_argument("--type", metavar="TYPE", help="only this connection type (OktaSAML...)")
    listing.add_argument("--search", metavar="TEXT", help="search connection names")
    listing.add_argument(
        "--limit", type=_page_size, metavar="N", help="page size, 1 to 100 (API default 10)"
    )
    listing.add_argument("--order", choices=[order.value for order in Order])
    listing.add_argument("--before", metavar="CURSOR", help="the page before this cursor")
    listing.add_argument("--after", metavar="CURSOR", help="the page after this cursor")
    listing.add_argument(
        "--all",
        action="store_true",
        help="walk every page, printing as pages arrive (JSON lines with --json)",
    )

    get = command(connection_commands, "get", command_connections_get, "show one connection")
    get.add_argument("connection_id", metavar="ID")
    delete = command(
        connection_commands, "delete", command_connections_delete, "delete a connection"
    )
    delete.add_argument("connection_id", metavar="ID")
    delete.add_argument(
        "-y", "--yes", action="store_true", help="do not ask (required when not on a terminal)"
    )

    authorize = command(
        commands, "authorize-url", command_authorize_url, "build a sign-in URL (sends nothing)"
    )
    selector = authorize.add_mutually_exclusive_group(required=True)
    selector.add_argument("--connection", metavar="ID", help="a connection id")
    selector.add_argument("--organization", metavar="ID", help="an organization id")
    selector.add_argument(
        "--provider",
        metavar="PROVIDER",
        help=f"an OAuth provider: {', '.join(provider.value for provider in Provider)}",
    )
    authorize.add_argument(
        "--redirect-uri", metavar="URL", help="callback URL (default: $WORKOS_REDIRECT_URI)"
    )
    authorize.add_argument("--state", help="opaque value echoed back to the callback")
    authorize.add_argument("--login-hint", metavar="EMAIL", help="pre-fill the user's email")
    authorize.add_argument("--domain-hint", metavar="DOMAIN", help="pre-fill the domain")
    authorize.add_argument("--nonce", help="echoed back in the ID token")
    authorize.add_argument(
        "--scope", action="append", metavar="SCOPE", help="extra provider scope (repeatable)"
    )
    authorize.add_argument(
        "--prompt-login", action="store_true", help="make the identity provider ask again"
    )

    exchange = command(
        commands, "exchange", command_exchange, "exchange a code for a profile and access token"
    )
    exchange.add_argument("code", metavar="CODE", help="the callback's code, or - for stdin")
    profile = command(commands, "profile", command_profile, "show an access token's profile")
    profile.add_argument("access_token", metavar="ACCESS_TOKEN", help="the token, or - for stdin")
    logout = command(commands, "logout", command_logout, "print a profile's logout URL")
    logout.add_argument("--profile-id", metavar="ID", required=True)
    command(commands, "version", command_version, "print the version")
    doctor = command(
        commands, "doctor", command_doctor, "check settings, API access and connections"
    )
    doctor.add_argument(
        "--redirect-uri", metavar="URL", help="callback URL (default: $WORKOS_REDIRECT_URI)"
    )
    verify = command(
        commands,
        "verify",
        command_verify,
        "sign in to a running app through the emulator and check the flow and its defences",
    )
    verify.add_argument(
        "--login-url", metavar="URL", required=True, help="the app's sign-in route (loopback)"
    )
    verify.add_argument(
        "--email", metavar="ADDRESS", help="sign in by posting email=ADDRESS to --login-url"
    )
    verify.add_argument(
        "--protected-url", metavar="URL", help="a page only a signed-in browser reaches"
    )
    verify.add_argument(
        "--signed-in-text",
        metavar="TEXT",
        help="text the protected page shows only when signed in (for pages that answer 200 "
        "to everyone)",
    )
    verify.add_argument(
        "--timeout", type=_seconds, default=10.0, metavar="SECONDS", help="per request (10)"
    )
    return parser


# --- Entry point ---------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    stdin, stdout, stderr = sys.stdin, sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        code = exit_.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    flags = {name: getattr(args, name, None) for name, _, _ in SETTINGS}
    try:
        settings = resolve_settings(
            flags,
            environ=os.environ,
            dotenv=read_dotenv(Path.cwd()),
            dotenv_path=str(Path.cwd() / ".env"),
        )
    except OSError as exc:
        stderr.write(f"{PROG}: error: cannot read .env: {exc}\n")
        return EXIT_USAGE
    for warning in settings.warnings:
        stderr.write(f"{PROG}: warning: {warning}\n")
    context = Context(args=args, settings=settings, stdin=stdin, stdout=stdout, stderr=stderr)
    try:
        result: int = args.handler(context)
        stdout.flush()  # here, so that a reader gone before the end is caught below
    except (UsageError, ConfigurationError, InvalidParameterError) as exc:
        stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    except WorkOSError as exc:
        stderr.write(f"{PROG}: {error_line(exc)}\n")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        stderr.write("\n")
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: say nothing more and leave quietly, with the
        # status a Unix tool ended by SIGPIPE has. Exit 1 means the API or the network failed.
        _silence(stdout)
        return EXIT_CLOSED_PIPE
    return result


def _silence(stream: TextIO) -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured output): nothing will be flushed to a closed pipe

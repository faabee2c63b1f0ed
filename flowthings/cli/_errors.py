"""Exit codes of the command line, and the one-line message of each failure."""

from __future__ import annotations

import enum

import httpx

from .._errors import (
    FlowThingsBadRequest,
    FlowThingsConnectionError,
    FlowThingsError,
    FlowThingsException,
    FlowThingsForbidden,
    FlowThingsNotFound,
)
from ..http._transport import TLS_ON_PLAIN_HTTP, UNRESOLVED_HOST

__all__ = ["DEFAULT_HOST", "DEFAULT_WS_HOST", "CliError", "ExitCode", "describe", "reach_advice"]

DEFAULT_HOST = "api.flowthings.io"
"""The REST host when neither ``--host`` nor ``FLOWTHINGS_HOST`` names one."""
DEFAULT_WS_HOST = "ws.flowthings.io"
"""The WebSocket host when no option or variable names one."""


class ExitCode(enum.IntEnum):
    """What ``flowthings`` exits with (documented in ``--help`` and docs/cli.md)."""

    OK = 0
    ERROR = 1
    """Anything else the platform refused (a 5xx, a 409, ...)."""
    USAGE = 2
    """Bad arguments (argparse's own code)."""
    CREDENTIALS = 3
    """Credentials missing from the environment, or rejected (401/403)."""
    NOT_FOUND = 4
    """No flow at that path or id (or another missing resource)."""
    BAD_REQUEST = 5
    """The platform rejected the request: a bad filter, an invalid drop."""
    UNREACHABLE = 6
    """The host could not be reached (DNS, refused, timeout)."""
    INTERRUPTED = 130
    """Ctrl-C during a command that has an end (``tail`` ends with 0)."""


class CliError(Exception):
    """A failure with its message and exit code, printed as one line."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def _first_error(exc: FlowThingsException) -> str:
    errors = [str(e) for e in (exc.errors or []) if e]
    return errors[0] if errors else str(exc)


def describe(exc: BaseException, host: str) -> CliError:
    """The `CliError` for an exception raised by the SDK (or ``exc`` itself)."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, FlowThingsForbidden) or (
        isinstance(exc, FlowThingsException) and exc.status == 401
    ):
        return CliError(
            f"the platform at {host} rejected the credentials ({_first_error(exc)}); "
            "check FLOWTHINGS_ACCOUNT and FLOWTHINGS_TOKEN",
            ExitCode.CREDENTIALS,
        )
    if isinstance(exc, FlowThingsNotFound):
        return CliError(f"not found: {_first_error(exc)}", ExitCode.NOT_FOUND)
    if isinstance(exc, FlowThingsBadRequest):
        return CliError(f"bad request: {_first_error(exc)}", ExitCode.BAD_REQUEST)
    if isinstance(exc, FlowThingsConnectionError | httpx.TransportError):
        return CliError(
            f"cannot reach {host}: {_without_hint(exc)}; "
            + reach_advice(exc, host, "FLOWTHINGS_HOST or --host"),
            ExitCode.UNREACHABLE,
        )
    if isinstance(exc, FlowThingsException):
        return CliError(f"the platform answered {exc}", ExitCode.ERROR)
    if isinstance(exc, FlowThingsError):
        return CliError(str(exc), ExitCode.USAGE)
    return CliError(f"{type(exc).__name__}: {exc}", ExitCode.ERROR)


# The SDK's own hint (after " -- ") speaks of API(host=..., secure=...); the
# command line replaces it with the variables and options a terminal user sets.


def _without_hint(exc: BaseException) -> str:
    """``exc`` as text, without the SDK's ``host=``/``secure=`` advice."""
    return str(exc).split(" -- ", 1)[0]


def reach_advice(exc: BaseException | None, shown: str, setting: str) -> str:
    """What to change when ``shown`` (``scheme://host[:port]``) could not be reached.

    ``setting`` names the variable and option that choose the host
    (``"FLOWTHINGS_HOST or --host"``).
    """
    cause = exc.__cause__ if isinstance(exc, FlowThingsException) else exc
    text = f"{exc} {cause}"
    scheme, _, where = shown.partition("://")
    if where.partition(":")[0] in (DEFAULT_HOST, DEFAULT_WS_HOST):
        return (
            f"the hosted flowthings.io service is gone: give your platform's address in "
            f"{setting} (http://127.0.0.1:8080 for `python -m flowthings.local serve`)"
        )
    if scheme in ("https", "wss") and any(s in text for s in TLS_ON_PLAIN_HTTP):
        return (
            f"{where} speaks plain HTTP, not TLS: pass --insecure, or give "
            f"http://{where} in {setting}"
        )
    if any(s in text for s in UNRESOLVED_HOST):
        return f"the host name does not resolve: check {setting}"
    if "refused" in text.lower():
        port = where.rpartition(":")[2] if ":" in where else "8080"
        return (
            f"nothing is listening there: is the platform running "
            f"(python -m flowthings.local serve --port {port})? else check {setting}"
        )
    if isinstance(exc, httpx.TimeoutException) or isinstance(cause, httpx.TimeoutException):
        return f"no answer in time: check {setting}, or allow more with --timeout"
    return f"check {setting}"

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

__all__ = ["CliError", "ExitCode", "describe"]


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
            f"cannot reach {host}: {exc}; set FLOWTHINGS_HOST or --host", ExitCode.UNREACHABLE
        )
    if isinstance(exc, FlowThingsException):
        return CliError(f"the platform answered {exc}", ExitCode.ERROR)
    if isinstance(exc, FlowThingsError):
        return CliError(str(exc), ExitCode.USAGE)
    return CliError(f"{type(exc).__name__}: {exc}", ExitCode.ERROR)

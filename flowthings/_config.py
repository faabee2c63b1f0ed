"""Credentials (`Token`), the global `defaults` and the `DEFAULT` sentinel.

`defaults` is read *at call time* by every `API` option left at `DEFAULT`, as
the 1.0.5 documentation promises ("Options labelled as DEFAULT will use the
options set in the defaults configuration object"): changing
`flowthings.defaults.secure` after an `API` was built changes its next request.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Final, NamedTuple, TypeVar

from ._errors import FlowThingsError

__all__ = ["DEFAULT", "Defaults", "DefaultType", "Token", "defaults", "resolve"]

_T = TypeVar("_T")


class DefaultType(enum.Enum):
    """Type of the `DEFAULT` sentinel: "use `flowthings.defaults` at call time"."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = DefaultType.DEFAULT
"""Sentinel for API options that follow `flowthings.defaults` at call time."""


class Token(NamedTuple):
    """Credentials used to sign every request: an account name and a token.

    A `Token` is an immutable pair, so `account, token = creds` works. Its
    `repr` never shows the secret.

    Examples:
        >>> creds = Token('<account>', '<token>')
    """

    account: str
    """The account (user) name; it is also the account segment of every URL."""
    token: str
    """The account's master token, or a Token object's `tokenString`."""

    def __repr__(self) -> str:
        return f"Token(account={self.account!r}, token='***')"

    def __str__(self) -> str:
        return self.__repr__()

    @staticmethod
    def from_bluemix(default: Token | None = None, env_var: str = "VCAP_SERVICES") -> Token:
        """Loads a Token from an IBM Bluemix (Cloud Foundry) environment.

        Reads `env_var` as JSON and takes `flowthings[0].credentials.account`
        and `.token`.

        Args:
            default: Returned when the environment holds no usable credentials.
            env_var: The environment variable holding the VCAP services JSON.

        Raises:
            FlowThingsError: When the credentials are missing and no default
                was given.
        """
        try:
            vcap = json.loads(os.environ[env_var])
            conf = vcap["flowthings"][0]["credentials"]
            account, token = conf["account"], conf["token"]
            if not isinstance(account, str) or not isinstance(token, str):
                raise TypeError("account and token must be strings")
            return Token(account, token)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            if default:
                return default
            raise FlowThingsError("Bluemix credentials not found") from exc

    @staticmethod
    def from_env(
        account_var: str = "FLOWTHINGS_ACCOUNT", token_var: str = "FLOWTHINGS_TOKEN"
    ) -> Token:
        """Loads a Token from the `FLOWTHINGS_ACCOUNT` / `FLOWTHINGS_TOKEN` variables.

        Raises:
            FlowThingsError: When either variable is missing or empty.
        """
        account = os.environ.get(account_var, "")
        token = os.environ.get(token_var, "")
        if not account or not token:
            raise FlowThingsError(
                f"set {account_var} and {token_var} to load flowthings credentials"
            )
        return Token(account, token)


@dataclass
class Defaults:
    """Configuration object for globally setting default options for API instances.

    Every `API` option left at `DEFAULT` reads the attribute of the same name
    when a request is made.
    """

    async_lib: ModuleType | None = None
    """Green-thread library for `api.async_()` / `api.lazy()`: eventlet or gevent."""
    secure: bool = True
    """When False, requests use http:// (and ws://) instead of https:// (wss://)."""
    params: dict[str, Any] = field(default_factory=dict[str, Any])
    """Query parameters sent with every request (per-call parameters win)."""
    host: str = "api.flowthings.io"
    """REST host, optionally with a port (`127.0.0.1:8080`)."""
    ws_host: str = "ws.flowthings.io"
    """WebSocket session host, optionally with a port."""
    version: str = "0.1"
    """Platform API version (the URL segment `/v{version}`); 1.0.5 used 0.1."""
    timeout: float = 30.0
    """Seconds before a connect/read/write/pool wait gives up. Always on."""
    max_retries: int = 2
    """Retries of idempotent requests on connection errors and 429/502/503/504,
    and of any request that could not be sent at all (connection refused)."""
    retry_backoff: float = 0.5
    """Base of the exponential backoff between retries, in seconds."""
    max_retry_wait: float = 30.0
    """Upper bound of one wait between retries (also caps `Retry-After`)."""


defaults: Final = Defaults()
"""The process-wide defaults (`flowthings.defaults`)."""


def resolve(value: _T | DefaultType, name: str) -> _T:
    """Returns `value`, or the current `defaults.<name>` when it is `DEFAULT`."""
    if value is DEFAULT:
        result: _T = getattr(defaults, name)
        return result
    return value

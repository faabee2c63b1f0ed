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
from urllib.parse import urlsplit

from ._errors import FlowThingsError

__all__ = [
    "DEFAULT",
    "Defaults",
    "DefaultType",
    "Token",
    "defaults",
    "resolve",
    "split_host_urls",
    "ws_host_now",
]

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
    """WebSocket session host, optionally with a port. Left at its default
    while `host` is changed, the WebSocket host follows `host`."""
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


    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("host", "ws_host") and isinstance(value, str) and "://" in value:
            # `secure` is a separate default: a scheme here would silently disagree with it
            raise ValueError(
                f"defaults.{name} takes host[:port], not a URL ({value!r}); "
                "set defaults.secure for the scheme"
            )
        super().__setattr__(name, value)


_DEFAULT_HOST: Final = Defaults.host
_DEFAULT_WS_HOST: Final = Defaults.ws_host

defaults: Final = Defaults()
"""The process-wide defaults (`flowthings.defaults`)."""


def resolve(value: _T | DefaultType, name: str) -> _T:
    """Returns `value`, or the current `defaults.<name>` when it is `DEFAULT`."""
    if value is DEFAULT:
        result: _T = getattr(defaults, name)
        return result
    return value


def ws_host_now(host: str | DefaultType, ws_host: str | DefaultType) -> str:
    """The WebSocket host in force now for an API built with ``host``/``ws_host``.

    An explicit ``ws_host`` wins; otherwise the WebSocket host follows an
    explicit REST ``host`` (the local platform serves both on one host:port,
    and a REST host of your own never pairs with the hosted ``ws.flowthings.io``).
    With neither given, `defaults.ws_host` applies, which in turn follows a
    changed `defaults.host` while it is left at its own default.
    """
    if ws_host is not DEFAULT:
        return ws_host
    if host is not DEFAULT:
        return host
    if defaults.ws_host == _DEFAULT_WS_HOST and defaults.host != _DEFAULT_HOST:
        return defaults.host
    return defaults.ws_host


_SCHEMES: Final = {"http": False, "https": True, "ws": False, "wss": True}


def _split_host_url(value: object, name: str) -> tuple[Any, bool | None]:
    """``(host[:port], secure or None)`` for one ``host``/``ws_host`` argument."""
    if value is DEFAULT:
        return value, None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (host[:port] or a URL), not {type(value).__name__}")
    if "://" not in value:
        if not value or "/" in value or "@" in value:
            raise ValueError(
                f"{name}={value!r}: give host[:port] (e.g. '127.0.0.1:8080') "
                "or a URL with no path (e.g. 'http://127.0.0.1:8080')"
            )
        return value, None
    url = urlsplit(value)
    scheme = url.scheme.lower()
    if scheme not in _SCHEMES or not url.hostname:
        raise ValueError(
            f"{name}={value!r}: a URL must be http://, https://, ws:// or wss:// with a host"
        )
    if url.path not in ("", "/") or url.query or url.fragment or url.username or url.password:
        raise ValueError(
            f"{name}={value!r}: give the server only (scheme://host[:port]); "
            "the SDK adds /v{version}/{account}/... itself"
        )
    return url.netloc, _SCHEMES[scheme]


def split_host_urls(
    host: str | DefaultType, ws_host: str | DefaultType, secure: bool | DefaultType
) -> tuple[str | DefaultType, str | DefaultType, bool | DefaultType]:
    """Accept ``host='http://127.0.0.1:8080'``: the URL's scheme sets ``secure``.

    Returns ``(host, ws_host, secure)`` with any URL reduced to ``host[:port]``.

    Raises:
        TypeError: When a host is not a string.
        ValueError: When a host is not ``host[:port]`` or a bare URL, or when
            the schemes of ``host``, ``ws_host`` and an explicit ``secure``
            disagree (``host='http://...'`` with ``secure=True``).
    """
    host, host_secure = _split_host_url(host, "host")
    ws_host, ws_secure = _split_host_url(ws_host, "ws_host")
    said = [(n, v) for n, v in (("host", host_secure), ("ws_host", ws_secure)) if v is not None]
    if secure is not DEFAULT:
        said.append(("secure", secure))
    if len({v for _, v in said}) > 1:
        parts = ", ".join(f"{n} says secure={v}" for n, v in said)
        raise ValueError(f"conflicting schemes: {parts}; http:// and ws:// mean secure=False")
    if said and secure is DEFAULT:
        secure = said[0][1]
    return host, ws_host, secure

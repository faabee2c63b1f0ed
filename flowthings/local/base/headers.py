"""Reading request headers the same way in every transport."""

from __future__ import annotations

from typing import Protocol

from flowthings.local.base.envelope import bad_request

__all__ = ["single_header"]

_NAMES = {"x-auth-token": "X-Auth-Token", "x-auth-account": "X-Auth-Account"}


class MultiHeaders(Protocol):
    """Headers that may repeat (Starlette's ``Headers``)."""

    def getlist(self, key: str) -> list[str]: ...


def single_header(headers: MultiHeaders, name: str) -> str | None:
    """The value of header ``name`` (lower case), ``None`` when absent.

    Raises:
        PlatformError: 400 when it is given more than once: which copy counts
            would depend on who reads it (a proxy may keep the last one where
            the platform read the first), so a credential must be unambiguous.
    """
    values = headers.getlist(name)
    if len(values) > 1:
        raise bad_request(f"The {_NAMES.get(name, name)} header is given more than once.")
    return values[0] if values else None

"""Token and Share scope rules of the local platform (pure functions).

The core authenticates a request (master token, Token ``tokenString``, or an
identity that received Shares) and asks these functions whether an *action*
on a *path* is allowed.  They follow ``platform/objects.md`` §4-§5 and settle
what the docs leave open:

Actions
    ``read`` (read a flow/track/... object), ``write`` (create, update or
    delete a flow, track, task or other non-drop object), ``dropRead``,
    ``dropWrite`` (read / create-update-delete drops; also spelled
    ``drop_read``/``drop_write`` as the core does) and ``admin`` (manage
    tokens and shares, the share flag ``administer``).  Unknown actions are
    never allowed.
Paths
    A grant on ``/alice/a`` covers ``/alice/a`` and everything below it
    (``/alice/a/b``), never a sibling that merely shares the prefix
    (``/alice/ab``).  Trailing slashes are ignored on both sides; paths are
    compared case-sensitively.  A grant on ``/`` or an empty path grants
    nothing (a token or share never covers a whole host).  A new token's
    or share's paths must also have no empty segment (``//``) and no
    whitespace, control character, ``?`` or ``#`` (as flow paths).
Several entries
    Grants are additive: an action is allowed when **any** covering entry
    allows it (there are no deny entries, so a deeper entry with
    ``dropWrite: false`` does not take away a shallower ``dropWrite: true``).
Tokens
    ``read`` on any covered path; ``dropRead``/``dropWrite`` per the entry's
    flags; never ``write`` nor ``admin`` (tokens cannot create, update or
    delete flows, tracks, tokens or shares).  A flag counts only when it is
    JSON ``true``.
Shares
    ``read``/``write``/``dropRead``/``dropWrite`` per the entry's flags,
    ``admin`` per ``administer``; only for the identity named by ``issuedTo``
    or a member of the group it names.  Flags are independent (``write`` does
    not imply ``read``).  A share only ever grants paths inside the sharer's
    namespace: pass ``owner_account`` to enforce it at check time, and use
    :func:`validate_paths` when the share or token is created.
Expiry
    ``creationDate + duration`` is the expiry instant; at or after it the token
    or share allows nothing.  No ``duration`` (or ``null``) never expires; a
    non-integer or negative duration allows nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from flowthings.local.base.ids import new_token_string

__all__ = [
    "BAD_PATH_CHARS",
    "has_dot_segment",
    "FLAGS",
    "ACTIONS",
    "Action",
    "Grant",
    "PermissionsError",
    "covers",
    "expires_in_ms",
    "is_expired",
    "new_token_string",
    "share_allows",
    "token_allows",
    "validate_paths",
]

Action = Literal["read", "write", "dropRead", "dropWrite", "admin", "drop_read", "drop_write"]
"""What a request wants to do on a path (``drop_read``/``drop_write`` are the
core's spellings of ``dropRead``/``dropWrite`` and mean the same)."""

ACTIONS: Final[tuple[Action, ...]] = ("read", "write", "dropRead", "dropWrite", "admin")

_ALIASES: Final[dict[str, Action]] = {"drop_read": "dropRead", "drop_write": "dropWrite"}

_TOKEN_FLAGS: Final = ("dropRead", "dropWrite")
_SHARE_FLAGS: Final = ("read", "write", "dropRead", "dropWrite", "administer")
BAD_PATH_CHARS: Final = re.compile(r"[\s?#\x00-\x1f]")
"""Characters no flow path (nor a token or share path) may contain."""


def has_dot_segment(path: str) -> bool:
    """Whether ``path`` has a ``.`` or ``..`` segment (also spelled ``%2e``).

    Nothing on the platform normalizes paths, but a client or tool that does
    would turn ``/alice/shared/../secret`` into another flow's path than the
    one that was authorized: such paths are refused (a 400) wherever a path
    is written.
    """
    return any(
        s.replace("%2e", ".").replace("%2E", ".") in (".", "..") for s in path.split("/")
    )
FLAGS: Final = {"token": _TOKEN_FLAGS, "share": _SHARE_FLAGS}
"""The permission flag names of each kind's ``paths`` entries."""
_SHARE_FLAG_OF: Final[dict[str, str]] = {
    "read": "read",
    "write": "write",
    "dropRead": "dropRead",
    "dropWrite": "dropWrite",
    "admin": "administer",
}


class PermissionsError(ValueError):
    """Invalid ``paths`` or ``duration`` in a token/share body; message for a 400."""


def _norm(path: str) -> str:
    return path.rstrip("/")


def covers(grant_path: str, path: str) -> bool:
    """Return whether a grant on *grant_path* applies to *path*.

    Args:
        grant_path: A key of a token's or share's ``paths``.
        path: The path of the object the request touches.

    Returns:
        ``True`` for the same path or a path below it.
    """
    base, target = _norm(grant_path), _norm(path)
    if not base:
        return False
    return target == base or target.startswith(base + "/")


def _duration(obj: Mapping[str, Any]) -> int | Literal[False] | None:
    """The duration in ms, ``None`` for none, ``False`` when invalid."""
    duration = obj.get("duration")
    if duration is None:
        return None
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration < 2**63:
        return False  # beyond 64 bits: ``expiresInMs`` could not be computed and encoded
    return duration


def expires_in_ms(obj: Mapping[str, Any], now_ms: int) -> int | None:
    """Remaining lifetime of a token or share (the RO ``expiresInMs`` member).

    Args:
        obj: The stored token/share (``creationDate``, optional ``duration``).
        now_ms: "Now" in epoch ms.

    Returns:
        Milliseconds left, ``0`` once expired (or when the duration is
        invalid), ``None`` when it never expires (omit ``expiresInMs`` then).
    """
    duration = _duration(obj)
    if duration is None:
        return None
    created = obj.get("creationDate")
    if duration is False or not isinstance(created, int) or isinstance(created, bool):
        return 0
    return max(0, created + duration - now_ms)


def is_expired(obj: Mapping[str, Any], now_ms: int) -> bool:
    """Return whether a token or share has expired (or has an invalid duration)."""
    left = expires_in_ms(obj, now_ms)
    return left is not None and left <= 0


def _entries(obj: Mapping[str, Any], path: str) -> Iterable[Mapping[str, Any]]:
    paths = obj.get("paths")
    if not isinstance(paths, Mapping):
        return
    for grant_path, flags in paths.items():
        if isinstance(flags, Mapping) and covers(grant_path, path):
            yield flags


def token_allows(token: Mapping[str, Any], action: Action, path: str, now_ms: int) -> bool:
    """Return whether a Token object allows *action* on *path*.

    Args:
        token: The stored token (``paths``, ``creationDate``, ``duration``).
        action: ``read``, ``write``, ``dropRead``, ``dropWrite`` or ``admin``.
        path: The flow path the request touches.
        now_ms: "Now" in epoch ms.

    Returns:
        ``True`` only when an unexpired covering entry grants it.
    """
    action = _ALIASES.get(action, action)
    if action not in ("read", "dropRead", "dropWrite") or is_expired(token, now_ms):
        return False
    return any(action == "read" or flags.get(action) is True for flags in _entries(token, path))


def share_allows(
    share: Mapping[str, Any],
    action: Action,
    path: str,
    now_ms: int,
    *,
    identity_id: str,
    group_ids: Collection[str] = (),
    owner_account: str | None = None,
) -> bool:
    """Return whether a Share allows *identity_id* to do *action* on *path*.

    Args:
        share: The stored share (``issuedTo``, ``paths``, ``creationDate``,
            ``duration``).
        action: ``read``, ``write``, ``dropRead``, ``dropWrite`` or ``admin``
            (the ``administer`` flag).
        path: The flow path the request touches.
        now_ms: "Now" in epoch ms.
        identity_id: The identity making the request.
        group_ids: The groups that identity belongs to.
        owner_account: The sharer's account name; when given, only paths
            under ``/<owner_account>`` are granted.

    Returns:
        ``True`` only when the share is addressed to the identity (or one of
        its groups), unexpired, and a covering entry sets the flag.
    """
    issued_to = share.get("issuedTo")
    if not isinstance(issued_to, str) or not issued_to:
        return False
    if issued_to != identity_id and issued_to not in group_ids:
        return False
    if owner_account is not None and not covers(f"/{owner_account}", path):
        return False
    flag = _SHARE_FLAG_OF.get(_ALIASES.get(action, action))
    if flag is None or is_expired(share, now_ms):
        return False
    return any(flags.get(flag) is True for flags in _entries(share, path))


def validate_paths(
    body: Mapping[str, Any], *, kind: Literal["token", "share"], account: str
) -> dict[str, dict[str, bool]]:
    """Check the ``paths`` (and ``duration``) of a token or share being created.

    Args:
        body: The request body.
        kind: ``"token"`` (flags ``dropRead``, ``dropWrite``) or ``"share"``
            (``read``, ``write``, ``dropRead``, ``dropWrite``, ``administer``).
        account: The creating account; every path must be ``/<account>`` or
            below it.

    Returns:
        The normalised ``paths``: only known flags, each a bool (absent →
        ``False``).

    Raises:
        PermissionsError: ``paths`` missing/empty/not an object, a path
            outside the account or with an empty segment (``//``),
            whitespace, a control character, ``?`` or ``#``, a flags entry
            that is not an object, a flag that is not a bool, or a
            ``duration`` that is not a non-negative integer.
    """
    if _duration(body) is False:
        raise PermissionsError("'duration' must be a non-negative 64-bit integer (milliseconds)")
    paths = body.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        raise PermissionsError(f"a {kind} needs 'paths': an object of path -> permissions")
    names = _TOKEN_FLAGS if kind == "token" else _SHARE_FLAGS
    out: dict[str, dict[str, bool]] = {}
    for path, flags in paths.items():
        if not isinstance(path, str) or not covers(f"/{account}", path):
            raise PermissionsError(f"path {path!r} is not inside /{account}")
        if BAD_PATH_CHARS.search(path) or "//" in path:
            raise PermissionsError(f"path {path!r} has an empty segment or a bad character")
        if has_dot_segment(path):
            raise PermissionsError(f"path {path!r} has a '.' or '..' segment")
        if not isinstance(flags, Mapping):
            raise PermissionsError(f"permissions of {path!r} must be an object")
        for name in names:
            if name in flags and not isinstance(flags[name], bool):
                raise PermissionsError(f"{name!r} of {path!r} must be true or false")
        out[path] = {name: flags.get(name) is True for name in names}
    return out


@dataclass(frozen=True)
class Grant:
    """Everything one authenticated request may do, for the core's checks.

    Build one per request with :meth:`master` or :meth:`for_token`, then
    call :meth:`allows`.

    Attributes:
        account: The authenticated account (master token) or ``None``.
        token: The Token object used, if any.
        shares: Shares received by the identity (with their sharers' accounts).
        identity_id: The calling identity, if known.
        group_ids: Groups of that identity.
    """

    account: str | None = None
    token: Mapping[str, Any] | None = None
    shares: tuple[tuple[Mapping[str, Any], str], ...] = ()
    identity_id: str | None = None
    group_ids: frozenset[str] = frozenset()

    @classmethod
    def master(
        cls,
        account: str,
        *,
        identity_id: str | None = None,
        group_ids: Iterable[str] = (),
        shares: Iterable[tuple[Mapping[str, Any], str]] = (),
    ) -> Grant:
        """Full access to ``/<account>`` plus the shares the identity received.

        Args:
            account: The account the master token belongs to.
            identity_id: Its identity id (needed for shares).
            group_ids: Its groups.
            shares: ``(share, sharer_account)`` pairs addressed to it.
        """
        return cls(
            account=account,
            shares=tuple(shares),
            identity_id=identity_id,
            group_ids=frozenset(group_ids),
        )

    @classmethod
    def for_token(cls, token: Mapping[str, Any]) -> Grant:
        """Only what the Token object grants."""
        return cls(token=token)

    def allows(self, action: Action, path: str, now_ms: int) -> bool:
        """Return whether this request may do *action* on *path*.

        Args:
            action: ``read``, ``write``, ``dropRead``, ``dropWrite`` or ``admin``.
            path: The flow path touched (for account-level objects such as
                tokens, pass ``/<account>``).
            now_ms: "Now" in epoch ms.
        """
        action = _ALIASES.get(action, action)
        if action not in ACTIONS:
            return False
        if self.account is not None and covers(f"/{self.account}", path):
            return True
        if self.token is not None and token_allows(self.token, action, path, now_ms):
            return True
        if self.identity_id is None:
            return False
        return any(
            share_allows(
                share,
                action,
                path,
                now_ms,
                identity_id=self.identity_id,
                group_ids=self.group_ids,
                owner_account=owner,
            )
            for share, owner in self.shares
        )

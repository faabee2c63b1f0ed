"""Resource kinds of the local platform and the validation of their bodies.

Choices where the docs are silent (``objects.md``):

* Server-set members (``id``, ``creationDate``, ``creatorId``, ``lastEditDate``,
  ``lastEditorId`` and each kind's read-only members) are silently dropped
  from input; unknown members are kept as given (tolerant, like the SDK models).
* A flow path is ``/{account}/segment[/segment...]``: at most 128 characters, no
  empty segment, no ``.``/``..`` segment (nor ``%2e`` spellings of them), no
  whitespace, ``?`` or ``#``. The account segment must be the
  URL's account. Parent flows need not exist.
* ``lastEditDate`` is set on create too (equal to ``creationDate``), so it is
  always present; the Full fixtures show it, clients never rely on its absence.
* Task ``periodicity`` defaults to 3600000 and must be an integer >= 60000.
* A track's ``source`` is one flow path; ``destination`` (tracks, tasks) is
  a path or a list of paths (for a track ``[]`` means nowhere, like no
  destination; a task needs at least one).
* Token and share ``paths`` are checked by ``core.permissions.validate_paths``
  (inside the account, no empty segment or bad character, boolean flags); a
  flag name the kind does not know is a 400 rather than ignored.
* Drops require ``elems`` (an object); ``fhash`` is stored and filterable but
  does not de-duplicate (the docs conflict on its semantics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from flowthings.local.base.envelope import bad_request
from flowthings.local.core.permissions import (
    BAD_PATH_CHARS,
    FLAGS,
    PermissionsError,
    has_dot_segment,
    validate_paths,
)
from flowthings.local.query.evaluate import is_number

__all__ = [
    "KINDS",
    "MAX_MGET",
    "MAX_MPUT",
    "SEGMENTS",
    "Kind",
    "check_ids",
    "check_many",
    "check_path",
    "clean_input",
]

MAX_PATH = 128
MAX_MPUT = 1000
"""Most objects one ``MPUT`` may update: it is one transaction holding the
store lock, during which every other tenant's request waits."""
MAX_LIST = 100
"""Most entries of a ``destination`` list (tracks, tasks) and of a token's or
share's ``paths``: each is checked on every routed drop or access decision."""
MAX_MEMBERS = 1000
"""Most ``memberIds`` of one group."""
MAX_MGET = 1000
"""Most ids one ``MGET`` may ask for (the same bound as :data:`MAX_MPUT`)."""
MAX_CAPACITY = 100_000
DEFAULT_CAPACITY = 1000
MIN_PERIODICITY = 60_000
DEFAULT_PERIODICITY = 3_600_000

COMMON_RO = frozenset({"id", "creationDate", "creatorId", "lastEditDate", "lastEditorId"})

Validator = Callable[[dict[str, Any], str], list[str]]


@dataclass(frozen=True)
class Kind:
    """One resource family: URL segment, stored kind name and rules."""

    name: str
    read_only: frozenset[str] = frozenset()
    immutable: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    validate: Validator | None = None
    path_members: tuple[str, ...] = ()
    """The members holding the flow paths an object lives at; the ONLY ones
    authorization looks at. Empty for account-scoped kinds (tokens, shares,
    groups, identities: the owner's only, whatever their body holds) and for
    drops (authorized by their flow, never by their own members)."""


def check_path(value: Any, account: str, member: str = "path") -> list[str]:
    """Return the problems of ``value`` as a flow path in ``account``."""
    if not isinstance(value, str):
        return [f"'{member}' must be a string."]
    if len(value) > MAX_PATH:
        return [f"'{member}' must be at most {MAX_PATH} characters."]
    segments = value.rstrip("/").split("/") if value != "/" else [""]
    if (
        len(segments) < 3
        or segments[0] != ""
        or any(not s for s in segments[1:])
        or BAD_PATH_CHARS.search(value)
    ):
        return [f"'{member}' must look like '/{account}/name' (got {value!r})."]
    if segments[1] != account:
        return [f"'{member}' must start with '/{account}/'."]
    if has_dot_segment(value):
        return [f"'{member}' must not have a '.' or '..' segment (got {value!r})."]
    return []


INT64 = range(-(2**63), 2**63)
"""Integer members (timestamps, durations, counts) must be 64-bit: the server
computes with them (``timeSinceLastSeen``, ``expiresInMs``), and a result too
long to encode would break every later read."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v in INT64


def _types(obj: dict[str, Any], **spec: type) -> list[str]:
    """Check the JSON type of each present, non-null member (``int`` excludes bools
    and needs 64 bits)."""
    errors = []
    for name, typ in spec.items():
        v = obj.get(name)
        if v is not None and not (_is_int(v) if typ is int else isinstance(v, typ)):
            what = "a 64-bit integer" if typ is int else f"of type {typ.__name__}"
            errors.append(f"'{name}' must be {what}.")
    return errors


def _required(obj: dict[str, Any], *names: str) -> list[str]:
    return [f"'{n}' is required." for n in names if obj.get(n) is None]


def _filter_errors(obj: dict[str, Any]) -> list[str]:
    from flowthings.local.query.params import filter_problem

    f = obj.get("filter")
    if f is None:
        return []
    if not isinstance(f, str):
        return ["'filter' must be a string."]
    problem = filter_problem(f)
    return [f"'filter' is invalid: {problem}"] if problem else []


def _v_flow(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "path") or check_path(obj["path"], account)
    errors += _types(obj, description=str, public=bool, name=str, displayName=str)
    cap = obj.get("capacity")
    if not isinstance(cap, int) or isinstance(cap, bool) or not 0 <= cap <= MAX_CAPACITY:
        errors.append(f"'capacity' must be an integer between 0 and {MAX_CAPACITY}.")
    return errors + _filter_errors(obj)


def _v_drop(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "elems") + _types(obj, elems=dict, location=dict, fhash=str)
    loc = obj.get("location")
    if isinstance(loc, dict) and not all(is_number(loc.get(k)) for k in ("lat", "lon")):
        errors.append("'location' must have numeric 'lat' and 'lon'.")
    return errors


def _path_or_paths(
    obj: dict[str, Any], member: str, account: str, *, allow_empty: bool = False
) -> list[str]:
    v = obj.get(member)
    if v is None:
        return []
    if isinstance(v, list):
        if not (v or allow_empty) or not all(isinstance(p, str) for p in v):
            return [f"'{member}' must be a path or a list of paths."]
        if len(v) > MAX_LIST:
            return [f"'{member}' may list at most {MAX_LIST} paths."]
        return [e for p in v for e in check_path(p, account, member)]
    return check_path(v, account, member)


def _v_track(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "source") or check_path(obj["source"], account, "source")
    errors += _path_or_paths(obj, "destination", account, allow_empty=True)
    errors += _types(obj, js=str, disabled=bool, description=str, metadata=dict)
    return errors + _filter_errors(obj)


def _v_group(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "memberIds") + _types(obj, displayName=str, description=str)
    ids = obj.get("memberIds")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        errors.append("'memberIds' must be a list of identity ids.")
    elif isinstance(ids, list) and len(ids) > MAX_MEMBERS:
        errors.append(f"'memberIds' may list at most {MAX_MEMBERS} identities.")
    return errors


def _v_identity(obj: dict[str, Any], account: str) -> list[str]:
    names = ("email", "firstName", "lastName", "middleName", "salutation", "icon")
    return _types(obj, **dict.fromkeys(names, str))


def _v_device(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "path") or check_path(obj["path"], account)
    return errors + _types(
        obj, displayName=str, status=str, lastSeen=int, reportPeriodicity=int, deviceSummary=dict
    )


def _v_task(obj: dict[str, Any]) -> list[str]:
    errors = _types(obj, displayName=str, description=str, disabled=bool)
    if isinstance(obj.get("displayName"), str) and len(obj["displayName"]) > 2048:
        errors.append("'displayName' must be at most 2048 characters.")
    if "periodicity" in obj:
        p = obj["periodicity"]
        if not _is_int(p) or p < MIN_PERIODICITY:
            errors.append(f"'periodicity' must be an integer >= {MIN_PERIODICITY}.")
    return errors


def _v_api_task(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "destination", "js") + _path_or_paths(obj, "destination", account)
    return errors + _types(obj, js=str, source=dict) + _v_task(obj)


def _v_mqtt(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "uri", "topic") + _types(
        obj,
        uri=str,
        topic=str,
        host=str,
        username=str,
        password=str,
        clientId=str,
        version=str,
        qos=int,
        reportFrequency=int,
    )
    if (obj.get("destination") is None) == (obj.get("source") is None):
        errors.append("Exactly one of 'destination' and 'source' is required.")
    errors += _path_or_paths(obj, "destination", account) + _path_or_paths(obj, "source", account)
    if obj.get("qos") not in (None, 0, 1, 2):
        errors.append("'qos' must be 0, 1 or 2.")
    return errors + _v_task(obj)


def _v_rss(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "url", "destination") + _path_or_paths(obj, "destination", account)
    errors += _types(obj, url=str, category=str, favicon=str, icon=str, isFeatured=bool)
    return errors + _v_task(obj)


def _v_paths(obj: dict[str, Any], kind: Literal["token", "share"], account: str) -> list[str]:
    # `paths` and `duration` are checked by `validate_paths` (the one
    # implementation, which `Platform.create` also uses to normalise them);
    # only what it tolerates is checked here: unknown flag names, and the size.
    paths = obj.get("paths")
    if isinstance(paths, dict) and len(paths) > MAX_LIST:
        return [f"'paths' may hold at most {MAX_LIST} paths."]
    try:
        validate_paths(obj, kind=kind, account=account)
    except PermissionsError as exc:
        return [str(exc)]
    known = FLAGS[kind]
    unknown = sorted({f for flags in obj["paths"].values() for f in flags if f not in known})
    if unknown:
        return [f"Unknown permission flags {unknown}; expected some of {list(known)}."]
    return _types(obj, description=str)


def _v_token(obj: dict[str, Any], account: str) -> list[str]:
    return _v_paths(obj, "token", account)


def _v_share(obj: dict[str, Any], account: str) -> list[str]:
    errors = _required(obj, "issuedTo") + _types(obj, issuedTo=str)
    return errors + _v_paths(obj, "share", account)


_TASK_RO = frozenset({"reportFlowId", "reportPath", "status", "lastRun", "nextRun", "runCt"})
_TASK_DEFAULTS = {"periodicity": DEFAULT_PERIODICITY}
# a drop's place is derived from its flow: never writable (item 7 of issue 14)
_DROP_RO = frozenset({"flowId", "version", "path"})

#: Every kind, keyed by its URL segment.
KINDS: dict[str, Kind] = {
    "flow": Kind(
        "flow",
        defaults={"capacity": DEFAULT_CAPACITY},
        validate=_v_flow,
        path_members=("path",),
    ),
    "drop": Kind("drop", _DROP_RO, validate=_v_drop),
    "track": Kind("track", validate=_v_track, path_members=("source", "destination")),
    "group": Kind("group", validate=_v_group),
    "identity": Kind(
        "identity", frozenset({"name", "groupIds", "shares", "masterToken"}), validate=_v_identity
    ),
    "device": Kind(
        "device",
        frozenset({"tokenId", "timeSinceLastSeen"}),
        validate=_v_device,
        path_members=("path",),
    ),
    "api-task": Kind(
        "api-task",
        _TASK_RO,
        defaults=_TASK_DEFAULTS,
        validate=_v_api_task,
        path_members=("destination",),
    ),
    "mqtt": Kind("mqtt", _TASK_RO, validate=_v_mqtt, path_members=("source", "destination")),
    "rss": Kind(
        "rss", _TASK_RO, defaults=_TASK_DEFAULTS, validate=_v_rss, path_members=("destination",)
    ),
    "token": Kind(
        "token", frozenset({"tokenString", "issuedBy", "expiresInMs"}), True, validate=_v_token
    ),
    "share": Kind("share", frozenset({"issuedBy", "expiresInMs"}), True, validate=_v_share),
}
SEGMENTS = frozenset(KINDS)


def clean_input(kind: Kind, body: Any) -> dict[str, Any]:
    """Return a copy of ``body`` without server-set members (400 unless an object)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return {k: v for k, v in body.items() if k not in COMMON_RO and k not in kind.read_only}


def check_many(body: Any) -> dict[str, Any]:
    """Return an ``MPUT`` body (``{id: changes}``); a 400 unless it is one of at most
    :data:`MAX_MPUT` entries."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object of id -> changes.")
    if len(body) > MAX_MPUT:
        raise bad_request(f"At most {MAX_MPUT} objects per MPUT.")
    return body


def check_ids(body: Any) -> list[str]:
    """Return an ``MGET`` body (a list of ids); a 400 unless it is a JSON array of
    at most :data:`MAX_MGET` strings."""
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        raise bad_request("The request body must be a JSON array of ids.")
    if len(body) > MAX_MGET:
        raise bad_request(f"At most {MAX_MGET} ids per MGET.")
    return body


STORE_KEYS: Final = ("path",)
"""Members the store binds into a column of its own (besides the server-set
``id``/``creationDate``): SQLite takes only strings there, so any other JSON
type (list, object, 65-bit int) must be a 400 for *every* kind, not only for
kinds whose validator checks the member."""


def validate(kind: Kind, obj: dict[str, Any], account: str) -> None:
    """Raise a 400 listing every problem of ``obj`` as a ``kind`` object."""
    errors = kind.validate(obj, account) if kind.validate else []
    for key in STORE_KEYS:
        v = obj.get(key)
        message = f"'{key}' must be a string."
        if v is not None and not isinstance(v, str) and message not in errors:
            errors.append(message)
    if errors:
        raise bad_request(*errors)

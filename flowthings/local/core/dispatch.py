"""Route a transport-independent :class:`Call` to the platform and shape the result.

The HTTP app builds a :class:`Call` per request; the WebSocket layer (``realtime.ws``)
builds the same from ``{object, type, flowId, id, value, options}`` messages.
Routes (``{res}`` is any segment of ``core.resources.KINDS``)::

    GET    /{res}            find            POST  /{res}        create
    GET    /{res}/{id}       read            PUT   /{res}/{id}   partial update
    DELETE /{res}/{id}       delete          PUT   /{res}/{id}/{member}  set one member
    MGET   /{res}            read many       MPUT  /{res}        update many
    POST   /drop             create by path  GET   /drop?path=   find by path
    MGET   /drop             multi-flow find [{flowId, params}] (at most 100)
    GET|POST|DELETE|MGET|MPUT /drop/{flowId}  and  GET|PUT|DELETE /drop/{flowId}/{id}

``DELETE /drop/{flowId}`` answers ``{}``. Anything else is looked up in the
platform's own ``Platform.extensions``, then in the built-in routes of
``core.extensions`` (keys such as ``"statistics"``, ``"track/simulate"``,
``"drop/*/aggregate"``; the most specific key wins) and is a 404 when absent.
Extension handlers get an authenticated principal and must call
``Platform.authorize`` themselves. A known route with an unsupported method is
a 405.
"""

from __future__ import annotations

from typing import Any

from flowthings.local.base import ids as _ids
from flowthings.local.base.envelope import Result, bad_request, method_not_allowed, not_found
from flowthings.local.core.calls import Call, Handler
from flowthings.local.core.extensions import EXTENSIONS
from flowthings.local.core.identity import with_memberships
from flowthings.local.core.permissions import expires_in_ms
from flowthings.local.core.platform import Obj, Platform, Principal
from flowthings.local.core.resources import KINDS
from flowthings.local.query.params import Query, parse_query, project, render_drop
from flowthings.local.query.regex import cancelled_by, regex_budget

__all__ = ["VERSIONS", "dispatch", "principal_of"]

#: Accepted values of the ``/v{version}`` URL segment.
VERSIONS = frozenset({"0.1", "4.0"})


def _present(
    platform: Platform, p: Principal, kind: str, obj: Obj, q: Query, *, reference: bool = False
) -> Obj:
    now = _ids.now_ms()
    if kind == "drop":
        obj = render_drop(obj, q.typed)
    elif kind in ("token", "share") and (left := expires_in_ms(obj, now)) is not None:
        obj = {**obj, "expiresInMs": left}
    elif kind == "identity":
        own = obj["id"] == p.identity_id
        if not reference:  # references are incidental: no scan of every group and share
            obj = with_memberships(platform.store, obj, now, own=own)
        if own and p.master:
            row = platform.store.account(p.account)
            obj = {**obj, "masterToken": row.master_token} if row else obj
    elif kind == "device":
        seen = obj.get("lastSeen")
        obj = {**obj, "timeSinceLastSeen": now - seen if isinstance(seen, int) else -1}
    return project(obj, q.only)


def _references(platform: Platform, p: Principal, account: str, objs: list[Obj]) -> dict[str, Any]:
    refs: dict[str, Any] = {}
    for o in objs:
        for member, kind in (("flowId", "flow"), ("creatorId", "identity")):
            rid = o.get(member)
            if isinstance(rid, str) and rid not in refs:
                ref = platform.store.get(account, kind, rid)
                if ref is not None and platform.can_read(p, account, ref, kind):
                    presented = _present(platform, p, kind, ref, Query(), reference=True)
                    # a reference is incidental data that callers log and cache:
                    # the master token is only ever shown by reading the identity
                    refs[rid] = {k: v for k, v in presented.items() if k != "masterToken"}
    return refs


def _out(
    platform: Platform, p: Principal, call: Call, kind: str, value: Any, q: Query, status: int = 200
) -> Result:
    """Render one object or a list of objects, with references."""
    raw = value if isinstance(value, list) else [value]
    shown = [_present(platform, p, kind, o, q) for o in raw]
    refs = _references(platform, p, call.account, raw) if q.refs else {}
    return Result(status, shown if isinstance(value, list) else shown[0], refs)


def _out_map(
    platform: Platform, p: Principal, call: Call, kind: str, value: dict[str, Obj], q: Query
) -> Result:
    """Render an ``{id: object}`` map (MGET/MPUT answers), with references."""
    r = _out(platform, p, call, kind, list(value.values()), q)
    return Result(200, dict(zip(value, r.body, strict=True)), r.references)


def _resource(platform: Platform, p: Principal, call: Call, q: Query) -> Result:
    res, rest, m, a = call.segments[0], call.segments[1:], call.method, call.account
    if not rest:
        if m == "GET":
            return _out(platform, p, call, res, platform.find(p, a, res, q), q)
        if m == "POST":
            return _out(platform, p, call, res, platform.create(p, a, res, call.body), q, 201)
        if m == "MGET":
            return _out_map(platform, p, call, res, platform.read_many(p, a, res, call.body), q)
        if m == "MPUT":
            return _out_map(platform, p, call, res, platform.update_many(p, a, res, call.body), q)
    elif len(rest) == 1:
        oid = rest[0]
        if m == "GET":
            return _out(platform, p, call, res, platform.read(p, a, res, oid), q)
        if m == "PUT":
            return _out(platform, p, call, res, platform.update(p, a, res, oid, call.body), q)
        if m == "DELETE":
            return _out(platform, p, call, res, platform.delete(p, a, res, oid), q)
    elif len(rest) == 2 and m == "PUT":
        obj = platform.update(p, a, res, rest[0], {rest[1]: call.body})
        return _out(platform, p, call, res, obj, q)
    else:
        raise not_found()
    raise method_not_allowed()


MAX_MULTI_FIND = 100
"""Most ``{flowId, params}`` entries one ``MGET /drop`` may hold (each is a find)."""


def _multi_find(platform: Platform, p: Principal, call: Call) -> Result:
    body = call.body
    if isinstance(body, list) and len(body) > MAX_MULTI_FIND:
        raise bad_request(f"At most {MAX_MULTI_FIND} flows per multi-flow find.")
    if not isinstance(body, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("flowId"), str)
        and isinstance(e.get("params", {}), dict)
        for e in body
    ):
        raise bad_request("The request body must be a JSON array of {flowId, params} objects.")
    out: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    for entry in body:
        q = parse_query(entry.get("params") or {}, version=call.version)
        flow = platform.flow(p, call.account, entry["flowId"])
        r = _out(platform, p, call, "drop", platform.find_drops(p, call.account, flow, q), q)
        out[flow["id"]] = r.body
        refs.update(r.references)
    return Result(200, out, refs)


def _drops(platform: Platform, p: Principal, call: Call, q: Query) -> Result:
    rest, m, a = call.segments[1:], call.method, call.account
    if not rest:
        if m == "POST":
            return _out(
                platform, p, call, "drop", platform.create_drop(p, a, None, call.body, checked=call.checked), q, 201
            )
        if m == "GET":
            if "path" not in call.params:
                raise bad_request("'path' is required to find drops without a flow id.")
            flow = platform.flow(p, a, path=call.params["path"])
            return _out(platform, p, call, "drop", platform.find_drops(p, a, flow, q), q)
        if m == "MGET":
            return _multi_find(platform, p, call)
        raise method_not_allowed()
    if len(rest) > 2:
        raise not_found()
    flow = platform.flow(p, a, rest[0])
    if len(rest) == 1:
        if m == "GET":
            return _out(platform, p, call, "drop", platform.find_drops(p, a, flow, q), q)
        if m == "POST":
            return _out(
                platform, p, call, "drop",
                platform.create_drop(
                    p, a, flow["id"], call.body, flow=flow, checked=call.checked
                ), q, 201,
            )
        if m == "DELETE":
            platform.delete_all_drops(p, a, flow)
            return Result(200, {})
        if m == "MGET":
            return _out_map(
                platform, p, call, "drop", platform.read_drops(p, a, flow, call.body), q
            )
        if m == "MPUT":
            return _out_map(
                platform, p, call, "drop", platform.update_drops(p, a, flow, call.body), q
            )
        raise method_not_allowed()
    did = rest[1]
    if m == "GET":
        return _out(platform, p, call, "drop", platform.read_drop(p, a, flow, did), q)
    if m == "PUT":
        return _out(platform, p, call, "drop", platform.update_drop(p, a, flow, did, call.body), q)
    if m == "DELETE":
        return _out(platform, p, call, "drop", platform.delete_drop(p, a, flow, did), q)
    raise method_not_allowed()


def _extension(platform: Platform, call: Call) -> Handler | None:
    seg = call.segments
    keys = [seg[0]]
    if len(seg) >= 2:
        keys.insert(0, f"{seg[0]}/{seg[1]}")
    if len(seg) >= 3:
        keys.insert(0, f"{seg[0]}/*/{seg[2]}")
    for key in keys:
        # The platform's own registrations (e.g. a test's) win over the built-ins.
        found = platform.extensions.get(key) or EXTENSIONS.get(key)
        if found is not None:
            return found
    return None


def principal_of(platform: Platform, call: Call) -> Principal:
    """The authenticated caller of ``call``, from its route and headers only.

    Needs no body, so transports can refuse a stranger before parsing one.

    Raises:
        PlatformError: 404 for a path outside ``/v{version}/{account}/...``,
            403 for credentials that do not authenticate.
    """
    if call.version not in VERSIONS or not call.segments:
        raise not_found()
    return platform.authenticate(call.token, call.auth_account)


@regex_budget  # one time budget for the filter regexes of the whole request
def dispatch(platform: Platform, call: Call, principal: Principal | None = None) -> Result:
    """Authenticate, count the call, route it and return its :class:`Result`.

    The work stops (a 400 nobody reads) once ``call.cancel`` is set.

    Args:
        platform: The platform.
        call: The request.
        principal: The caller, when the transport just authenticated it with
            :func:`principal_of` (to decide where the call runs): not again.

    Raises:
        PlatformError: the request failed (status 400/403/404/405/413).
    """
    return cancelled_by(call.cancel, lambda: _dispatch(platform, call, principal))


def _dispatch(platform: Platform, call: Call, principal: Principal | None) -> Result:
    p = principal_of(platform, call) if principal is None else principal
    platform.record_event(p.account, "apiCallByIdentity", p.identity_id)
    ext = _extension(platform, call)
    if ext is not None:
        return ext(platform, p, call)
    res = call.segments[0]
    if res not in KINDS:
        raise not_found()
    platform.authorize(p, "access", call.account)
    q = parse_query(call.params, version=call.version)
    if res == "drop":
        return _drops(platform, p, call, q)
    return _resource(platform, p, call, q)

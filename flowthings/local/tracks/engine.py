"""Track engine of the local platform: routing drops through tracks, running track JS.

Pure and transport-independent: the core calls :func:`route` after a drop is
written and writes what it returns; ``POST /track/simulate`` calls
:func:`simulate`.  Follows ``platform/objects.md`` §3 and ``rest-api.md`` §7;
where the docs are silent:

Routing (:func:`route`)
    Every track whose ``source`` equals the path a drop was written to and
    whose ``disabled`` is not ``true`` is *hit* (``trackHit``).  Its ``filter``
    (FFL, drop resolution) gates; an unparsable filter counts as an error.
    Then ``js`` transforms (none → the drop is forwarded unchanged).  A drop
    that passed the filter and whose JS did not fail has *passed* the track
    (``trackPass``), even if the JS returned ``null``.  Outputs go to the
    track's ``destination`` (a path or a list of paths; none → nowhere), or,
    for a returned map, to the map's paths.  Each output the core
    ``accept``\\ s is returned for writing and routed on through the tracks of
    its destination, breadth-first (one hop level after the other, tracks in
    the order ``tracks_for_source`` gives them).  Loops are cut: a drop never
    passes the same track twice in one chain, and a chain stops after
    ``max_hops`` tracks (8).  Fan-out is capped: at most ``MAX_OUTPUTS`` (100)
    drops and ``MAX_RUNS`` (64) track runs per incoming drop, the rest is cut
    and logged.  Each track runs with its creator's rights, re-checked at
    routing time through the core's ``authorize``: a creator who may no
    longer read the source is not run; a drop for a destination the creator
    may not write is refused (logged, not written).  A drop produced by a
    track is seen by the next tracks with ``path`` set to its destination and
    ``creationDate`` set to ``now_ms``, but without ``id``/``flowId``.  A
    failing track (filter or JS error, timeout, bad return value) is logged on
    logger ``flowthings.local.tracks`` and forwards nothing; other tracks are
    unaffected.  Whether the destination exists and takes the drop is the
    core's ``accept`` decision.
Drops written by tracks
    The body returned for writing is the drop as the JS returned it (or as
    stored, without JS) minus the server-set members ``id``, ``flowId``,
    ``path``, ``creationDate``, ``lastEditDate``, ``version``, ``creatorId``,
    ``lastEditorId`` and ``parentDropId``: the core sets those (including
    ``parentDropId`` if it wants it).  Elements are stored as produced (typed
    wrappers coming from the input stay typed; plain reads unwrap them).
JS contract
    ``js`` is the source of a function (``function (input) {...}``, a named
    function or an arrow function), called with a copy of the drop whose
    top-level elements are typed (``input.elems.x.value``; via
    ``query.elements.render_drop``).  It may return a drop (an object with an
    ``elems`` object) → to the destinations; an array of drops → each to the
    destinations; an object whose keys are paths (``"/alice/x"``) and whose
    values are a drop or an array of drops → routed per path (an empty object
    is an empty map); ``null``/``undefined`` → nothing.  Anything else is an
    error.
Sandbox
    See :mod:`flowthings.local.tracks.js` (fresh V8 isolate per call, strict
    mode, 200 ms and 64 MiB limits, no ``eval``, minimal ``Flow``).
Simulate (:func:`simulate`)
    ``{"drops": [...], "log": [...]}``.  ``drops`` are what the JS returned,
    as they would be written, with elements rendered plain (as the docs'
    example shows; ``query.elements.plain``); drops from a returned map also
    carry ``"path"`` (their destination).  ``log`` is **not** the platform's per-line variable trace:
    it lists the ``console.*`` calls in order, as ``{"line_no": n, "level":
    "log", "message": "args joined by spaces"}`` (``line_no`` counts lines of
    the ``js`` text from 1, ``null`` if unknown), followed, if the JS failed,
    by ``{"line_no": n, "level": "error", "message": "TypeError: ..."}``; a
    failed run has no drops and is not an HTTP error.  At most 100 entries.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from flowthings.local.analytics.statistics import TRACK_HIT, TRACK_PASS
from flowthings.local.query.elements import render_elems
from flowthings.local.query.parser import FilterSyntaxError, parse_filter
from flowthings.local.query.regex import RegexCostError
from flowthings.local.tracks.js import (
    MAX_LOG,
    JsResult,
    JsSandbox,
    JsUnavailableError,
    TrackBusyError,
    TrackError,
)

__all__ = [
    "MAX_HOPS",
    "MAX_OUTPUTS",
    "MAX_RUNS",
    "READ_ONLY_DROP_MEMBERS",
    "Authorize",
    "JsResult",
    "JsSandbox",
    "JsUnavailableError",
    "TrackBusyError",
    "TrackError",
    "apply_track",
    "route",
    "simulate",
]

log = logging.getLogger("flowthings.local.tracks")

READ_ONLY_DROP_MEMBERS: Final = frozenset(
    {
        "id",
        "flowId",
        "path",
        "creationDate",
        "lastEditDate",
        "version",
        "creatorId",
        "lastEditorId",
        "parentDropId",
    }
)
"""Server-set drop members stripped from drops produced by tracks."""


MAX_HOPS: Final = 8
"""Longest chain of tracks one incoming drop may pass (depth of the fan-out)."""

MAX_OUTPUTS: Final = 100
"""Most drops the tracks may produce (all hops together) from one incoming drop."""

MAX_RUNS: Final = 64
"""Most track applications (filter + JS) one incoming drop may cause, all hops together."""


# --- applying one track -----------------------------------------------------------


def _writable(drop: Any) -> dict[str, Any]:
    if not isinstance(drop, Mapping) or not isinstance(drop.get("elems"), Mapping):
        raise TrackError("a drop returned by track JS must be an object with an 'elems' object")
    return {key: value for key, value in drop.items() if key not in READ_ONLY_DROP_MEMBERS}


def _destinations(track: Mapping[str, Any]) -> list[str]:
    dest = track.get("destination")
    if isinstance(dest, str):
        return [dest] if dest else []
    if isinstance(dest, list):
        return [item for item in dest if isinstance(item, str) and item]
    return []


def _outputs(
    value: Any, destinations: Sequence[str], limit: int
) -> list[tuple[str, dict[str, Any]]]:
    """Turn a JS return value into at most ``limit`` ``(path, body)`` pairs.

    The pairs are produced lazily and cut at ``limit``: a return value of a
    million drops times many destinations is never expanded in full.
    """
    return list(itertools.islice(_iter_outputs(value, destinations), max(0, limit)))


def _iter_outputs(value: Any, destinations: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            body = _writable(item)
            for dest in destinations:
                yield dest, dict(body)
    elif isinstance(value, Mapping) and "elems" in value:
        body = _writable(value)
        for dest in destinations:
            yield dest, dict(body)
    elif isinstance(value, Mapping) and all(
        isinstance(key, str) and key.startswith("/") for key in value
    ):
        for dest, items in value.items():
            for item in items if isinstance(items, list) else [items]:
                yield dest, _writable(item)
    else:
        raise TrackError(
            "track JS must return a drop, an array of drops, a map of path -> drops, or null"
        )


def apply_track(
    track: Mapping[str, Any],
    drop: Mapping[str, Any],
    *,
    sandbox: JsSandbox,
    now_ms: int | None = None,
    account: str = "",
    limit: int = MAX_OUTPUTS + 1,
) -> list[tuple[str, dict[str, Any]]] | None:
    """Run one track on one drop.

    Args:
        track: The stored track (``filter``, ``js``, ``destination``).
        drop: The drop that reached it.
        sandbox: Where ``js`` runs.
        now_ms: "Now" for ``AGE`` in the filter.
        account: Whose JS this is (the sandbox's per-account cap and queue).
        limit: Most pairs returned (the rest is never built).

    Returns:
        ``None`` when the filter rejects the drop, else the ``(destination
        path, drop body)`` pairs it produces (possibly none).

    Raises:
        TrackError: Bad filter, JS failure, bad return value, or JS without
            mini-racer.
    """
    text = track.get("filter")
    if text not in (None, ""):
        try:
            compiled = parse_filter(text)
        except FilterSyntaxError as exc:  # only the text's fault; a bug propagates
            raise TrackError(f"invalid track filter: {exc}") from exc
        try:
            passed = compiled.matches(drop, now_ms=now_ms, drop=True)
        except RegexCostError as exc:
            raise TrackError(f"track filter: {'; '.join(exc.errors)}") from None
        if not passed:
            return None
    js = track.get("js")
    destinations = _destinations(track)
    if js is None or (isinstance(js, str) and not js.strip()):
        body = {key: value for key, value in drop.items() if key not in READ_ONLY_DROP_MEMBERS}
        return [(dest, dict(body)) for dest in destinations[: max(0, limit)]]
    if not isinstance(js, str):
        raise TrackError("track js must be a string")
    try:
        result = sandbox.run(js, drop, account=account)
    except JsUnavailableError as exc:
        raise TrackError(str(exc)) from exc
    return _outputs(result.value, destinations, limit)


# --- routing ----------------------------------------------------------------------


Authorize = Callable[[Mapping[str, Any], str, str], bool]
"""``(track, action, path) -> allowed``: may the track's creator do ``action``
(``"drop_read"`` on the source, ``"drop_write"`` on a destination) at ``path``."""


def route(
    source_path: str,
    drop: Mapping[str, Any],
    tracks_for_source: Callable[[str], Sequence[Mapping[str, Any]]],
    accept: Callable[[str, dict[str, Any]], bool],
    *,
    sandbox: JsSandbox,
    max_hops: int = MAX_HOPS,
    max_outputs: int = MAX_OUTPUTS,
    max_runs: int = MAX_RUNS,
    authorize: Authorize | None = None,
    on_event: Callable[[str, str], None] | None = None,
    now_ms: int | None = None,
    account: str = "",
) -> list[tuple[str, dict[str, Any], str]]:
    """Route a newly written drop through the tracks, transitively.

    Args:
        source_path: Path of the flow the drop was written to.
        drop: The drop as stored.
        tracks_for_source: Returns the tracks whose ``source`` is a path.
        accept: The core's check for a produced drop (destination flow exists,
            the drop validates, the flow's filter passes); only accepted drops
            are returned and routed further.
        sandbox: Runs track JS.
        max_hops: Longest chain of tracks one original drop may pass.
        max_outputs: Most drops returned for one original drop; the rest is
            cut (logged).
        max_runs: Most track applications for one original drop; further
            tracks are not run (logged).
        authorize: The creator check, asked before a track runs (``drop_read``
            of its source) and for each produced drop (``drop_write`` of its
            destination); a refusal is logged and nothing is written.
        on_event: Called ``(series, track_id)`` with ``"trackHit"`` and
            ``"trackPass"``.
        now_ms: "Now" for ``AGE`` in track filters.
        account: The account routed (the sandbox's per-account cap and queue).

    Returns:
        ``(destination path, drop body to write, track id)`` in routing order
        (breadth-first); the core writes them in this order.
    """
    created = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    out: list[tuple[str, dict[str, Any], str]] = []
    runs = 0
    queue: deque[tuple[str, Mapping[str, Any], tuple[str, ...]]] = deque([(source_path, drop, ())])
    while queue:
        path, body, chain = queue.popleft()
        if len(chain) >= max_hops:
            log.warning("track chain cut after %d hops at %s", len(chain), path)
            continue
        for track in tracks_for_source(path):
            if track.get("disabled") is True or track.get("source") != path:
                continue
            track_id = str(track.get("id", ""))
            if track_id in chain:
                continue  # loop: this drop already passed this track
            if runs >= max_runs:
                log.warning("track %s not run: %d track runs for one drop already", track_id, runs)
                return out
            if authorize is not None and not authorize(track, "drop_read", path):
                log.warning(
                    "track %s not run: its creator may no longer read drops of %s", track_id, path
                )
                continue
            runs += 1
            if on_event is not None:
                on_event(TRACK_HIT, track_id)
            try:
                produced = apply_track(
                    track,
                    body,
                    sandbox=sandbox,
                    now_ms=now_ms,
                    account=account,
                    limit=max_outputs - len(out) + 1,
                )
            except TrackError as exc:
                log.warning("track %s failed on a drop from %s: %s", track_id, path, exc)
                continue
            if produced is None:
                continue
            if on_event is not None:
                on_event(TRACK_PASS, track_id)
            for dest, new_body in produced:
                if authorize is not None and not authorize(track, "drop_write", dest):
                    log.warning(
                        "track %s: route to %s refused (its creator may not write drops there);"
                        " not written",
                        track_id,
                        dest,
                    )
                    continue
                if len(out) >= max_outputs:
                    log.warning(
                        "track %s: fan-out cap of %d drops per incoming drop reached;"
                        " the rest is not written",
                        track_id,
                        max_outputs,
                    )
                    return out
                if accept(dest, new_body):
                    out.append((dest, new_body, track_id))
                    # Downstream tracks see it as if stored: with its path and a
                    # creationDate (so AGE works), but no id.
                    seen = {"creationDate": created, **new_body, "path": dest}
                    queue.append((dest, seen, (*chain, track_id)))
    return out


# --- simulate ---------------------------------------------------------------------


@contextmanager
def _sandbox_or_new(sandbox: JsSandbox | None) -> Iterator[JsSandbox]:
    if sandbox is not None:
        yield sandbox
        return
    with JsSandbox() as own:
        yield own


def simulate(
    drop: Mapping[str, Any], js: str, *, sandbox: JsSandbox | None = None, account: str = ""
) -> dict[str, Any]:
    """Run track JS on a drop without writing anything (``POST /track/simulate``).

    Args:
        drop: The request's ``drop`` (needs an ``elems`` object).
        js: The request's ``js``.
        sandbox: Sandbox to use; a temporary one when omitted.
        account: Whose call this is (the sandbox's per-account cap and queue).

    Returns:
        ``{"drops": [...], "log": [...]}`` as described in the module docstring.

    Raises:
        TrackError: ``drop`` or ``js`` is malformed (a 400).
        TrackBusyError: The account has too many JS calls running (a 429).
        JsUnavailableError: mini-racer is not installed.
    """
    if not isinstance(drop, Mapping) or not isinstance(drop.get("elems"), Mapping):
        raise TrackError("simulate needs 'drop': an object with an 'elems' object")
    if not isinstance(js, str) or not js.strip():
        raise TrackError("simulate needs 'js': the source of a function")
    with _sandbox_or_new(sandbox) as box:
        if not box.available:
            raise JsUnavailableError(
                "track simulation needs mini-racer (pip install mini-racer); not installed"
            )
        try:
            result = box.run(js, drop, account=account)
        except TrackBusyError:
            raise
        except TrackError as exc:
            return _failed(exc.log, exc)
    try:
        outputs = _outputs(result.value, [""], MAX_OUTPUTS + 1)
        if len(outputs) > MAX_OUTPUTS:
            raise TrackError(f"track JS returned more than {MAX_OUTPUTS} drops (the fan-out cap)")
    except TrackError as exc:
        return _failed(result.log, exc)
    drops: list[dict[str, Any]] = []
    for dest, body in outputs:
        rendered = {**body, "elems": render_elems(body["elems"], typed=False)}
        if dest:
            rendered["path"] = dest
        drops.append(rendered)
    return {"drops": drops, "log": result.log}


def _failed(entries: list[dict[str, Any]], exc: TrackError) -> dict[str, Any]:
    entry = {"line_no": exc.line_no, "level": "error", "message": str(exc)}
    return {"drops": [], "log": [*entries[: MAX_LOG - 1], entry]}

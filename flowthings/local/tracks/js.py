"""Track JavaScript sandbox of the local platform (mini-racer, embedded V8).

:class:`JsSandbox` runs the ``js`` of a track (or of ``POST /track/simulate``)
on one drop; :mod:`flowthings.local.tracks.engine` routes drops with it.  Behaviour
where the docs (``platform/objects.md`` §3) are silent:

Call
    ``js`` is the source of a function (``function (input) {...}``, a named
    function or an arrow function).  It is called with a copy of the drop
    whose top-level elements are typed (``input.elems.x.value``; rendered by
    ``query.elements.render_drop``) and its return value comes back as JSON
    (``undefined`` → ``None``).  ``console.*`` calls are captured as
    ``{"line_no": n, "level": "log", "message": "args joined by spaces"}``
    (``line_no`` counts lines of the ``js`` text from 1, ``None`` if unknown;
    at most 100 entries).  Errors (syntax, thrown, timeout, memory, a return
    value that is not JSON) raise :class:`TrackError` with the message, the
    line when known, and the log so far; so does a result holding a lone
    UTF-16 surrogate or nested deeper than ``base.envelope.MAX_DEPTH`` (as a
    request body could not be).
Sandbox (:class:`JsSandbox`)
    Each call runs in a **fresh V8 isolate** (mini-racer; about 6 ms of
    overhead, so no state leaks between calls, tracks or accounts) inside a
    **worker process** of a small process-wide pool (:mod:`~flowthings.local.tracks.js_pool`,
    :mod:`~flowthings.local.tracks.js_worker`; started lazily), in strict mode, with a wall-clock
    limit per call (default 200 ms; a worker that overruns it by 2 s is
    killed), a hard V8 heap limit (default 64 MiB) and an OS data limit on the
    worker (heap limit + 32 MiB) that also bounds ArrayBuffers, typed arrays
    and WebAssembly memory: a too large allocation throws ``RangeError``.
    Fairness: per account (per sandbox) at most 2 calls run and 8 wait; more
    raise :class:`TrackBusyError` (simulate answers 429 with ``Retry-After``;
    a track's run fails and is logged).  V8 has no network or file access.
    ``eval`` and the ``Function`` constructors (also generator/async ones)
    throw ``EvalError``.  Available: standard ECMAScript built-ins,
    ``console`` (``log info warn error debug``, captured for
    :func:`simulate`) and a minimal ``Flow``: ``new Flow.Error(message,
    details)``; the documented ``Flow.Drop.*``, ``Flow.Flow.*``,
    ``Flow.Track.*`` and ``Flow.Http.*`` functions exist but throw "not
    available on the local platform".  lodash is **not** preloaded;
    ``setTimeout`` exists (mini-racer installs it) but a callback never runs
    after the function has returned (nor does a Promise settle): an ``async``
    function, or a result that is a Promise, is a failed run with an error
    saying so, never a silent "no drops".
Results
    The result is serialized with the ``JSON.stringify`` captured before user
    code runs (replacing it, or ``Array.prototype.*``, changes nothing), and
    the text is checked by :func:`validate_track_output` like any request
    input (strict JSON, finite numbers, no lone surrogates, nesting, at most
    ``MAX_OUTPUT`` characters); a result that fails is a failed run.
Without mini-racer
    If ``py_mini_racer`` cannot be imported, :attr:`JsSandbox.available` is
    false; tracks without ``js`` still route, tracks with ``js`` are stored
    but forward nothing (logged as errors), and :func:`simulate` raises
    :class:`JsUnavailableError`.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from flowthings.local.base.envelope import MAX_DEPTH, has_lone_surrogate, too_deep
from flowthings.local.query.elements import render_drop
from flowthings.local.tracks.js_pool import Admission, JsBusyError, WorkerDied, pool

__all__ = [
    "MAX_LOG",
    "MAX_OUTPUT",
    "JsResult",
    "JsSandbox",
    "JsUnavailableError",
    "TrackBusyError",
    "TrackError",
    "validate_track_output",
]

MAX_LOG: Final = 100
"""Most log entries one call keeps."""


class TrackError(ValueError):
    """A track could not process a drop (bad filter, JS error, timeout, bad return).

    Attributes:
        line_no: Line of the ``js`` text where the error happened, if known.
        log: ``console.*`` entries captured before the failure.
    """

    def __init__(
        self, message: str, *, line_no: int | None = None, log: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.line_no = line_no
        self.log = list(log or [])


class TrackBusyError(TrackError):
    """Too many track-JS calls of one account are running or queued (a 429).

    Attributes:
        retry_after: Seconds after which a retry is reasonable.
    """

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JsUnavailableError(RuntimeError):
    """mini-racer (``py_mini_racer``) is not installed, so track JS cannot run."""


# --- availability ------------------------------------------------------------------


def _load_engine() -> bool | None:
    """``True`` when mini-racer is installed (the workers import it), else ``None``."""
    return True if importlib.util.find_spec("py_mini_racer") is not None else None


# --- the JavaScript side ----------------------------------------------------------

_PRELUDE: Final = r"""
(function () {
  'use strict';
  var g = globalThis;
  // Pristine built-ins, captured before user code runs: the user's function
  // may replace JSON.stringify, Array.prototype.*, RegExp.prototype.exec, ...
  var stringify = JSON.stringify, apply = Reflect.apply, define = Object.defineProperty;
  var join = Array.prototype.join, exec = RegExp.prototype.exec, Str = String, Num = Number;
  var Prom = Promise, getProto = Object.getPrototypeOf;
  var AsyncFn = getProto(async function () {}).constructor;
  var AsyncGen = getProto(async function* () {}).constructor;
  var entries = [];
  function add(list, value) {
    define(list, list.length, {value: value, writable: true, enumerable: true, configurable: true});
  }
  var MAX = _MAX_LOG__;
  function userLine(stack) {
    // the first frame in the user's script (named by its sourceURL)
    var m = apply(exec, /track\.js:(\d+):\d+/, [Str(stack || '')]);
    return m ? Num(m[1]) : null;
  }
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return '[function]';
    try { var s = stringify(v); return s === undefined ? Str(v) : s; }
    catch (e) { return Str(v); }
  }
  function push(entry) { if (entries.length < MAX) add(entries, entry); }
  function make(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) add(parts, fmt(arguments[i]));
      push({line_no: userLine(new Error().stack), level: level, message: apply(join, parts, [' '])});
    };
  }
  var cons = {};
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (l) { cons[l] = make(l); });
  Object.defineProperty(g, 'console', {value: Object.freeze(cons)});

  function FlowError(message, details) {
    if (!(this instanceof FlowError)) return new FlowError(message, details);
    this.message = Str(message);
    this.details = details === undefined ? [] : details;
    this.stack = new Error(this.message).stack;
  }
  FlowError.prototype = Object.create(Error.prototype);
  FlowError.prototype.constructor = FlowError;
  FlowError.prototype.name = 'Flow.Error';
  function unsupported(name) {
    return function () { throw new Error(name + ' is not available on the local platform'); };
  }
  var flow = {Error: FlowError};
  var api = {Drop: ['find', 'findOne', 'findFHash', 'aggregate', 'create', 'update', 'delete'],
             Flow: ['find', 'get', 'findOne'], Track: ['find', 'get', 'findOne'],
             Http: ['get', 'post', 'put', 'delete']};
  Object.keys(api).forEach(function (k) {
    var o = {};
    api[k].forEach(function (f) { o[f] = unsupported('Flow.' + k + '.' + f); });
    flow[k] = Object.freeze(o);
  });
  Object.defineProperty(g, 'Flow', {value: Object.freeze(flow)});

  function blocked() { throw new EvalError('eval and Function() are disabled in track JS'); }
  Object.defineProperty(g, 'eval', {value: blocked});
  var ctors = [Function, (function* () {}).constructor, (async function () {}).constructor,
               (async function* () {}).constructor];
  ctors.forEach(function (C) {
    Object.defineProperty(C.prototype, 'constructor', {value: blocked});
  });
  blocked.prototype = Function.prototype;
  Object.defineProperty(g, 'Function', {value: blocked});

  function describe(e) {
    if (e instanceof FlowError) {
      return 'Flow.Error: ' + e.message + (e.details && e.details.length ?
        ' ' + fmt(e.details) : '');
    }
    if (e && typeof e === 'object' && 'message' in e) {
      return Str(e.name || 'Error') + ': ' + Str(e.message);
    }
    return 'Uncaught ' + fmt(e);
  }
  function errorLine(e) {
    return e && typeof e === 'object' ? userLine(e.stack) : null;
  }
  Object.defineProperty(g, '__ftRun', {value: function (input) {
    var fn = g.__ftUser;
    if (typeof fn !== 'function') {
      return stringify({error: 'js must be the source of a function', line_no: null,
                             log: entries});
    }
    if (fn instanceof AsyncFn || fn instanceof AsyncGen) {
      // its result would be a Promise, settled only after this call returned
      return stringify({error: 'js must be a plain (not async) function returning the' +
                       ' drop(s): async functions and Promises are not supported',
                       line_no: null, log: entries});
    }
    var out;
    try { out = fn(input); }
    catch (e) { return stringify({error: describe(e), line_no: errorLine(e), log: entries}); }
    if (out instanceof Prom) {
      return stringify({error: 'js returned a Promise; return the drop(s) directly:' +
                       ' asynchronous results are not supported', line_no: null, log: entries});
    }
    try {
      return stringify({result: out === undefined ? null : out, log: entries});
    } catch (e) {
      return stringify({error: 'the returned value is not JSON: ' + describe(e),
                             line_no: null, log: entries});
    }
  }});
})();
//# sourceURL=flowthings-prelude.js
"""

_PARSE_LINE = re.compile(r"^(?:<anonymous>|track\.js):(\d+):\s*(.*)$")


@dataclass
class JsResult:
    """What one JS call returned.

    Attributes:
        value: The returned JSON value (``None`` for ``null``/``undefined``).
        log: Captured ``console.*`` entries (``line_no``, ``level``, ``message``).
    """

    value: Any
    log: list[dict[str, Any]] = field(default_factory=list)


MAX_OUTPUT: Final = 8 * 1024 * 1024
"""Longest serialized result (result + log) one call may return, in characters."""

_LEVELS: Final = frozenset({"log", "info", "warn", "error", "debug"})
_MAX_MESSAGE: Final = 10_000
_GRACE_S: Final = 2.0
"""Extra time a worker gets beyond the JS limit (isolate setup, result transfer)
before it is killed as stuck."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _log_entry(entry: Any) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        return None
    line = entry.get("line_no")
    level = entry.get("level")
    message = entry.get("message")
    return {
        "line_no": line if isinstance(line, int) and not isinstance(line, bool) else None,
        "level": level if level in _LEVELS else "log",
        "message": (message if isinstance(message, str) else str(message))[:_MAX_MESSAGE],
    }


def validate_track_output(raw: str) -> tuple[Any, list[dict[str, Any]], str | None, int | None]:
    """Parse and check what the JS side serialized, like any request input.

    The text comes from code the track author controls (``toJSON``, getters,
    replaced built-ins), so it is parsed strictly: no ``NaN``/``Infinity``,
    finite numbers, no lone surrogates, nesting within ``MAX_DEPTH``, an
    object with well-formed log entries.

    Returns:
        ``(result, log, error message or None, error line or None)``.

    Raises:
        TrackError: The output is not acceptable (the run fails, nothing is stored).
    """
    if len(raw) > MAX_OUTPUT:
        raise TrackError(f"track JS returned more than {MAX_OUTPUT} characters")
    try:
        data = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise TrackError(f"track JS returned a value that is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TrackError("track JS returned a malformed result")
    if has_lone_surrogate(raw, data):
        raise TrackError("track JS returned a string with a lone UTF-16 surrogate")
    if too_deep(raw, data.get("result")):
        raise TrackError(f"track JS returned a value nested deeper than {MAX_DEPTH} levels")
    raw_log = data.get("log")
    entries = [e for e in map(_log_entry, raw_log if isinstance(raw_log, list) else []) if e]
    entries = entries[:MAX_LOG]
    if "error" in data:
        line = data.get("line_no")
        line_no = line if isinstance(line, int) and not isinstance(line, bool) else None
        return None, entries, str(data["error"])[:_MAX_MESSAGE], line_no
    return data.get("result"), entries, None, None


class JsSandbox:
    """Runs track JS in fresh, limited V8 isolates in worker processes.

    Thread-safe; calls run in parallel on the process-wide worker pool
    (:mod:`flowthings.local.tracks.js_pool`), each in a fresh isolate of a worker
    process with the time limit, the V8 heap limit and an OS data limit that
    also bounds ArrayBuffers.  Per account at most ``per_account`` calls run
    and ``queue`` wait; more raise :class:`TrackBusyError`.

    Args:
        timeout_ms: Wall-clock limit of one call (compile + run).
        memory_limit_bytes: Hard V8 heap limit of one call; all memory of the
            call (heap and ArrayBuffers) is bounded at about this + 32 MiB.
        per_account: Calls of one account running at once.
        queue: Calls of one account waiting for a slot.
    """

    def __init__(
        self,
        *,
        timeout_ms: int = 200,
        memory_limit_bytes: int = 64 * 1024 * 1024,
        per_account: int = 2,
        queue: int = 8,
    ) -> None:
        self.timeout_ms = timeout_ms
        self.memory_limit_bytes = memory_limit_bytes
        self._engine = _load_engine()
        self._admission = Admission(per_account, queue)
        self._closed = False

    @property
    def available(self) -> bool:
        """Whether JS can run (mini-racer installed and the sandbox open)."""
        return self._engine is not None and not self._closed

    def __enter__(self) -> JsSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Refuse further calls (idempotent); the shared workers stay for other sandboxes."""
        self._closed = True

    def run(self, js: str, drop: Mapping[str, Any], *, account: str = "") -> JsResult:
        """Call the track function ``js`` with *drop* (elements rendered typed).

        Args:
            js: Source of the track function.
            drop: The drop (typed or plain elements).
            account: Whose call this is (for the per-account cap and queue).

        Returns:
            The returned JSON value and the captured console log.

        Raises:
            TrackError: Syntax error, exception thrown, timeout, memory limit,
                or a return value that is not JSON.
            TrackBusyError: The account has too many calls running and queued.
            JsUnavailableError: mini-racer is missing or the sandbox is closed.
        """
        if self._engine is None:
            raise JsUnavailableError(
                "track JavaScript needs mini-racer (pip install mini-racer); not installed"
            )
        if not isinstance(js, str) or not js.strip():
            raise TrackError("js must be a non-empty string")
        if self._closed:
            raise JsUnavailableError("the JS sandbox is closed")
        try:
            payload = json.dumps(render_drop(dict(drop), True), allow_nan=False, default=str)
        except ValueError as exc:
            raise TrackError(f"the drop cannot be passed to JS: {exc}") from exc
        request = {
            "prelude": _PRELUDE.replace("_MAX_LOG__", str(MAX_LOG - 1)),
            "js": js,
            "payload": payload,
            "timeout_ms": self.timeout_ms,
            "memory": self.memory_limit_bytes,
            "max_output": MAX_OUTPUT,
        }
        try:
            with self._admission.slot(account):
                reply = self._call(request, account)
        except JsBusyError as exc:
            raise TrackBusyError(str(exc), exc.retry_after) from None
        return self._result(reply, js)

    def _call(self, request: dict[str, Any], account: str) -> dict[str, Any]:
        for attempt in range(2):
            deadline = time.monotonic() + self.timeout_ms / 1000 + _GRACE_S
            try:
                with pool().worker(account) as worker:
                    deadline = time.monotonic() + self.timeout_ms / 1000 + _GRACE_S
                    return worker.call(request, deadline)
            except OSError as exc:  # the worker process cannot be started
                raise TrackError(f"track JS workers cannot start: {exc}") from None
            except WorkerDied as exc:
                if time.monotonic() >= deadline:
                    raise TrackError(f"track JS timed out after {self.timeout_ms} ms") from None
                if attempt:  # died twice: the call itself kills the worker (V8 OOM abort)
                    raise TrackError(
                        "track JS exceeded its memory limit"
                        f" ({self.memory_limit_bytes} bytes) or crashed its worker: {exc}"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _result(self, reply: dict[str, Any], js: str) -> JsResult:
        kind = reply.get("kind")
        if kind == "timeout":
            raise TrackError(f"track JS timed out after {self.timeout_ms} ms")
        if kind == "oom":
            raise TrackError(
                f"track JS exceeded its memory limit ({self.memory_limit_bytes} bytes)"
            )
        if kind == "too_large":
            raise TrackError(f"track JS returned more than {MAX_OUTPUT} characters")
        if kind == "error":
            text = str(reply.get("message", "")).strip()
            first = text.splitlines()[0] if text else "track JS failed"
            match = _PARSE_LINE.match(first)
            if match:
                at = min(int(match.group(1)), js.count("\n") + 1)
                raise TrackError(match.group(2), line_no=at)
            raise TrackError(first)
        raw = reply.get("raw")
        if kind != "ok" or not isinstance(raw, str):
            raise TrackError("track JS returned no result")
        value, entries, error, line_no = validate_track_output(raw)
        if error is not None:
            raise TrackError(error, line_no=line_no, log=entries)
        return JsResult(value, entries)

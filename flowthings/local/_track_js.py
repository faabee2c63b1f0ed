"""Track JavaScript sandbox of the local platform (mini-racer, embedded V8).

:class:`JsSandbox` runs the ``js`` of a track (or of ``POST /track/simulate``)
on one drop; :mod:`flowthings.local._tracks` routes drops with it.  Behaviour
where the docs (``platform/objects.md`` §3) are silent:

Call
    ``js`` is the source of a function (``function (input) {...}``, a named
    function or an arrow function).  It is called with a copy of the drop
    whose top-level elements are typed (``input.elems.x.value``; rendered by
    ``_elements.render_drop``) and its return value comes back as JSON
    (``undefined`` → ``None``).  ``console.*`` calls are captured as
    ``{"line_no": n, "level": "log", "message": "args joined by spaces"}``
    (``line_no`` counts lines of the ``js`` text from 1, ``None`` if unknown;
    at most 100 entries).  Errors (syntax, thrown, timeout, memory, a return
    value that is not JSON) raise :class:`TrackError` with the message, the
    line when known, and the log so far; so does a result holding a lone
    UTF-16 surrogate or nested deeper than ``_envelope.MAX_DEPTH`` (as a
    request body could not be).
Sandbox (:class:`JsSandbox`)
    Each call runs in a **fresh V8 isolate** (mini-racer; about 4 ms of
    overhead, so no state leaks between calls, tracks or accounts), in strict
    mode, with a wall-clock limit per call (default 200 ms) and a hard heap
    limit (default 64 MiB).  V8 has no network or file access.  ``eval`` and
    the ``Function`` constructors (also generator/async ones) throw
    ``EvalError``.  Available: standard ECMAScript built-ins, ``console``
    (``log info warn error debug``, captured for :func:`simulate`) and a
    minimal ``Flow``: ``new Flow.Error(message, details)``; the documented
    ``Flow.Drop.*``, ``Flow.Flow.*``, ``Flow.Track.*`` and ``Flow.Http.*``
    functions exist but throw "not available on the local platform".  lodash
    is **not** preloaded; ``setTimeout`` exists (mini-racer installs it) but
    a callback never runs after the function has returned.
Without mini-racer
    If ``py_mini_racer`` cannot be imported, :attr:`JsSandbox.available` is
    false; tracks without ``js`` still route, tracks with ``js`` are stored
    but forward nothing (logged as errors), and :func:`simulate` raises
    :class:`JsUnavailableError`.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from flowthings.local._elements import render_drop
from flowthings.local._envelope import MAX_DEPTH, has_lone_surrogate, too_deep

__all__ = ["MAX_LOG", "JsResult", "JsSandbox", "JsUnavailableError", "TrackError"]

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


class JsUnavailableError(RuntimeError):
    """mini-racer (``py_mini_racer``) is not installed, so track JS cannot run."""


# --- typed adapter over py_mini_racer ---------------------------------------------


class _Racer(Protocol):
    def eval(self, code: str, *, timeout_sec: float | None = None) -> Any: ...

    def set_hard_memory_limit(self, limit: int) -> None: ...


@dataclass(frozen=True)
class _Engine:
    """The parts of py_mini_racer the sandbox uses, typed."""

    timeout: type[BaseException]
    oom: type[BaseException]
    error: type[BaseException]
    open: Callable[[asyncio.AbstractEventLoop], AbstractContextManager[_Racer]]


def _load_engine() -> _Engine | None:
    try:
        import py_mini_racer
    except ImportError:  # pragma: no cover - mini-racer is a dependency of the local extra
        return None
    return _Engine(
        timeout=py_mini_racer.JSTimeoutException,
        oom=py_mini_racer.JSOOMException,
        error=py_mini_racer.JSEvalException,
        open=py_mini_racer.mini_racer,
    )


# --- the JavaScript side ----------------------------------------------------------

_PRELUDE: Final = r"""
(function () {
  'use strict';
  var g = globalThis;
  var entries = [];
  var MAX = _MAX_LOG__;
  function userLine(stack) {
    // the first frame in the user's script (named by its sourceURL)
    var m = /track\.js:(\d+):\d+/.exec(String(stack || ''));
    return m ? Number(m[1]) : null;
  }
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return '[function]';
    try { var s = JSON.stringify(v); return s === undefined ? String(v) : s; }
    catch (e) { return String(v); }
  }
  function push(entry) { if (entries.length < MAX) entries.push(entry); }
  function make(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts.push(fmt(arguments[i]));
      push({line_no: userLine(new Error().stack), level: level, message: parts.join(' ')});
    };
  }
  var cons = {};
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (l) { cons[l] = make(l); });
  Object.defineProperty(g, 'console', {value: Object.freeze(cons)});

  function FlowError(message, details) {
    if (!(this instanceof FlowError)) return new FlowError(message, details);
    this.message = String(message);
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
      return String(e.name || 'Error') + ': ' + String(e.message);
    }
    return 'Uncaught ' + fmt(e);
  }
  function errorLine(e) {
    return e && typeof e === 'object' ? userLine(e.stack) : null;
  }
  Object.defineProperty(g, '__ftRun', {value: function (input) {
    var fn = g.__ftUser;
    if (typeof fn !== 'function') {
      return JSON.stringify({error: 'js must be the source of a function', line_no: null,
                             log: entries});
    }
    var out;
    try { out = fn(input); }
    catch (e) { return JSON.stringify({error: describe(e), line_no: errorLine(e), log: entries}); }
    try {
      return JSON.stringify({result: out === undefined ? null : out, log: entries});
    } catch (e) {
      return JSON.stringify({error: 'the returned value is not JSON: ' + describe(e),
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


class JsSandbox:
    """Runs track JS in fresh, limited V8 isolates (see the module docstring).

    Thread-safe; calls are serialised.  Owns one background thread with an
    asyncio loop that drives mini-racer (so it also works when called from
    inside a running event loop, e.g. a Starlette handler); call
    :meth:`close` (or use it as a context manager) when done.

    Args:
        timeout_ms: Wall-clock limit of one call (compile + run).
        memory_limit_bytes: Hard V8 heap limit of one call.
    """

    def __init__(
        self, *, timeout_ms: int = 200, memory_limit_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self.timeout_ms = timeout_ms
        self.memory_limit_bytes = memory_limit_bytes
        self._engine = _load_engine()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def available(self) -> bool:
        """Whether JS can run (mini-racer importable and the sandbox open)."""
        return self._engine is not None and not self._closed

    def __enter__(self) -> JsSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the background loop thread (idempotent)."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="flowthings-track-js", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def run(self, js: str, drop: Mapping[str, Any]) -> JsResult:
        """Call the track function ``js`` with *drop* (elements rendered typed).

        Args:
            js: Source of the track function.
            drop: The drop (typed or plain elements).

        Returns:
            The returned JSON value and the captured console log.

        Raises:
            TrackError: Syntax error, exception thrown, timeout, memory limit,
                or a return value that is not JSON.
            JsUnavailableError: mini-racer is missing or the sandbox is closed.
        """
        engine = self._engine
        if engine is None:
            raise JsUnavailableError(
                "track JavaScript needs mini-racer (pip install mini-racer); not installed"
            )
        if not isinstance(js, str) or not js.strip():
            raise TrackError("js must be a non-empty string")
        try:
            payload = json.dumps(render_drop(dict(drop), True), allow_nan=False, default=str)
        except ValueError as exc:
            raise TrackError(f"the drop cannot be passed to JS: {exc}") from exc
        with self._lock:
            if self._closed:
                raise JsUnavailableError("the JS sandbox is closed")
            loop = self._ensure_loop()
            with engine.open(loop) as racer:
                return self._call(engine, racer, js, payload)

    def _call(self, engine: _Engine, racer: _Racer, js: str, payload: str) -> JsResult:
        racer.set_hard_memory_limit(self.memory_limit_bytes)
        deadline = time.monotonic() + self.timeout_ms / 1000

        def remaining() -> float:
            return max(0.001, deadline - time.monotonic())

        try:
            racer.eval(_PRELUDE.replace("_MAX_LOG__", str(MAX_LOG - 1)))
            # On the user's line 1 so V8 line numbers are the lines of `js`.
            racer.eval(
                f"'use strict'; globalThis.__ftUser = ({js}\n);\n//# sourceURL=track.js",
                timeout_sec=remaining(),
            )
            raw = racer.eval(f"__ftRun({payload})", timeout_sec=remaining())
        except engine.timeout as exc:
            raise TrackError(f"track JS timed out after {self.timeout_ms} ms") from exc
        except engine.oom as exc:
            raise TrackError(
                f"track JS exceeded its memory limit ({self.memory_limit_bytes} bytes)"
            ) from exc
        except engine.error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            match = _PARSE_LINE.match(first)
            if match:
                line_no = min(int(match.group(1)), js.count("\n") + 1)
                raise TrackError(match.group(2), line_no=line_no) from exc
            raise TrackError(first) from exc
        if not isinstance(raw, str):
            raise TrackError("track JS returned no result")
        data = json.loads(raw)
        if has_lone_surrogate(raw, data):
            raise TrackError("track JS returned a string with a lone UTF-16 surrogate")
        if too_deep(raw, data.get("result")):
            raise TrackError(f"track JS returned a value nested deeper than {MAX_DEPTH} levels")
        entries = [entry for entry in data.get("log", []) if isinstance(entry, dict)]
        if "error" in data:
            raise TrackError(str(data["error"]), line_no=data.get("line_no"), log=entries)
        return JsResult(data.get("result"), entries)

"""Command line of the local platform: ``python -m flowthings.local serve|demo``.

``serve`` (the default command) prints the base URL and every account's credentials, then serves
until Ctrl-C or ``SIGTERM`` (``kill``, ``docker stop``): either way uvicorn shuts down
gracefully (requests in progress are answered), the database is closed, ``stopped.`` is
printed and the exit code is 0. WebSocket sessions are served on the same host:port
(``POST /session``, ``/session/{id}/ws``). Without ``--account`` it reuses the accounts
of an existing database file, or creates ``demo`` with a random 32-character master token.
``--account NAME`` may repeat; each may be followed by ``--token TOKEN`` (otherwise a
token is generated).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m flowthings.local", description="The local flowthings platform."
    )
    sub = ap.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the REST server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--db", default=":memory:", help="SQLite file, or :memory: (default)")
    serve.add_argument("--account", action="append", default=[], metavar="NAME")
    serve.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="master token of the preceding --account",
    )
    serve.add_argument("--log-level", default="info")
    sub.add_parser("demo", help="run a narrated tour through the SDK and exit")
    return ap


def _pair_tokens(argv: Sequence[str]) -> list[tuple[str, str | None]]:
    """Pair each ``--account`` with the ``--token`` that follows it (if any)."""
    pairs: list[tuple[str, str | None]] = []
    for i, arg in enumerate(argv):
        name, _, inline = arg.partition("=")
        value = inline or (argv[i + 1] if i + 1 < len(argv) else "")
        if name == "--account":
            pairs.append((value, None))
        elif name == "--token" and pairs and pairs[-1][1] is None:
            pairs[-1] = (pairs[-1][0], value)
        elif name == "--token":
            raise SystemExit("--token must follow an --account")
    return pairs


def serve(argv: Sequence[str]) -> int:
    """Run ``serve`` with the given arguments; return the exit code."""
    args = _parser().parse_args(["serve", *argv])
    from ._platform import DEFAULT_ACCOUNT, Platform
    from ._server import bind, make_server
    from ._ws import websocket_routes

    platform = Platform(args.db)
    try:
        try:
            creds = [
                platform.ensure_account(n, t) if t else platform.create_account(n)
                for n, t in _pair_tokens(argv)
            ]
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if not creds:
            creds = platform.accounts() or [platform.create_account(DEFAULT_ACCOUNT)]
        try:
            sock = bind(args.host, args.port)
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"flowthings local platform on http://{shown}:{port} (db: {args.db})")
        for c in creds:
            print(f"  base URL  http://{shown}:{port}/v0.1/{c.account}")
            print(f"  account   {c.account}")
            print(f"  token     {c.token}")
        print(f"  WebSocket host {shown}:{port} (POST /session, /session/{{id}}/ws)")
        print("Press Ctrl-C to stop.", flush=True)
        # uvicorn re-raises the signal after its graceful shutdown: SIGINT's
        # default handler raises KeyboardInterrupt, SIGTERM's would kill the
        # process before the database is closed, so SIGTERM raises it too
        with contextlib.suppress(KeyboardInterrupt), _sigterm_interrupts():
            server = make_server(
                platform, log_level=args.log_level, routes=websocket_routes(platform)
            )
            server.run(sockets=[sock])
        sock.close()
        print("stopped.")
        return 0
    finally:
        platform.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Make ``SIGTERM`` raise ``KeyboardInterrupt`` for the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m flowthings.local``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "serve")  # `python -m flowthings.local [--port N]` serves
    args = _parser().parse_args(argv[:1])
    if args.command == "serve":
        return serve(argv[1:])
    from ._demo import run_demo

    return run_demo()


if __name__ == "__main__":
    raise SystemExit(main())

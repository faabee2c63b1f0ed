"""Command line of the local platform: ``python -m flowthings.local serve|demo``.

``serve`` prints the base URL and every account's credentials, then serves
until Ctrl-C or ``SIGTERM`` (``kill``, ``docker stop``): either way uvicorn shuts down
gracefully (requests in progress are answered), the database is closed, ``stopped.`` is
printed and the exit code is 0. WebSocket sessions are served on the same host:port
(``POST /session``, ``/session/{id}/ws``). Without ``--account`` it reuses the accounts
of an existing database file, or creates ``demo`` with a random 32-character master token.
``--account NAME`` may repeat; each may be followed by ``--token TOKEN`` (otherwise a
token is generated). Every command has ``--help``; without a command the help is printed.
When a package of the ``local`` extra is missing, one line names it and the install command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator, Sequence

from ._extra import missing_local_packages, missing_message

__all__ = ["main"]


_SERVE_EPILOG = """\
examples:
  python -m flowthings.local serve --port 8080 --account alice --token secret
  python -m flowthings.local serve --db flowthings.db   # keeps data across restarts
  python -m flowthings.local serve --db postgresql://flowthings@dbhost/flowthings

Without --account, the accounts of an existing --db file are reused, or an
account "demo" with a random token is created. Ctrl-C or SIGTERM stops it.
"""

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m flowthings.local",
        description="The local flowthings platform: a REST + WebSocket server on SQLite or PostgreSQL.",
        epilog="Run 'python -m flowthings.local COMMAND --help' for a command's options.",
    )
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="run the platform server until Ctrl-C",
        description="Run the local platform (REST and WebSocket on one host:port).",
        epilog=_SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8080,
        help="port to listen on, 0 = any free port (default: %(default)s)",
    )
    serve.add_argument(
        "--db",
        default=":memory:",
        metavar="URL",
        help=(
            "database: a SQLite file (PATH or sqlite:///PATH; its directory must exist) or "
            "postgresql://USER@HOST/DB, which several serve processes may share "
            "(default: %(default)s, lost on exit)"
        ),
    )
    serve.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="NAME",
        help="account to create or reuse; may repeat (default: reuse the database's, or 'demo')",
    )
    serve.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="master token of the preceding --account (default: a random 32-character token)",
    )
    serve.add_argument(
        "--quota-bytes",
        type=_quota,
        default=None,
        metavar="N",
        help="storage quota per account in bytes of stored documents, 0 = unlimited"
        " (default: 1 GiB); writes beyond it answer 413",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=_LOG_LEVELS,
        type=str.lower,
        help="uvicorn log level (default: %(default)s)",
    )
    sub.add_parser(
        "demo",
        help="run a narrated tour of the SDK on a temporary platform and exit",
        description=(
            "Start a platform on a free loopback port with an in-memory database, walk "
            "through flows, drops, queries, tracks and a WebSocket subscription with the "
            "SDK, print each step and exit."
        ),
    )
    return ap


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (else a usage error, not bind()'s OverflowError)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 0 to 65535: {text}")
    return value


def _quota(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of bytes: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be a non-negative number of bytes")
    return value


def _quota_of(value: int | None) -> int | None:
    from flowthings.local.core.platform import DEFAULT_QUOTA

    return DEFAULT_QUOTA if value is None else (value or None)


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
            raise SystemExit("error: --token must follow an --account")
    return pairs


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def serve(argv: Sequence[str]) -> int:
    """Run ``serve`` with the given arguments; return the exit code."""
    args = _parser().parse_args(["serve", *argv])
    pairs = _pair_tokens(argv)
    from flowthings.local.core.platform import DEFAULT_ACCOUNT, Platform
    from flowthings.local.http.server import bind, make_server
    from flowthings.local.realtime.ws import websocket_routes
    from flowthings.local.storage.engine import StorageError, redact_url, sqlite_path

    try:
        platform = Platform(args.db, quota_bytes=_quota_of(args.quota_bytes))
    except StorageError as exc:  # its message names the URL, without the password
        _error(f"cannot open database: {exc}")
        return 1
    except sqlite3.Error as exc:
        parent = os.path.dirname(os.path.abspath(sqlite_path(args.db)))
        hint = "" if os.path.isdir(parent) else f" (directory {parent} does not exist)"
        _error(f"cannot open database {args.db!r}: {exc}{hint}")
        return 1
    try:
        try:
            creds = [
                platform.ensure_account(n, t) if t else platform.create_account(n) for n, t in pairs
            ]
        except ValueError as exc:
            _error(str(exc))
            return 2
        if not creds:
            creds = platform.accounts() or [platform.create_account(DEFAULT_ACCOUNT)]
        try:
            sock = bind(args.host, args.port)
        except OSError as exc:
            _error(f"cannot listen on {args.host}:{args.port}: {exc}")
            return 1
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        db = redact_url(args.db)
        print(f"flowthings local platform on http://{shown}:{port} (db: {db})")
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
    parser = _parser()
    if not argv:
        # serving silently on a default port surprised users: show what there is to run
        parser.print_help(sys.stderr)
        return 2
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        parser.print_usage(sys.stderr)
        _error(
            f"name a command before the options, e.g. python -m flowthings.local serve {argv[0]}"
        )
        return 2
    # --help and usage errors first, so they work even without the local extra
    # (serve reads its repeated --account/--token pairs from argv itself)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    missing = missing_local_packages()
    if missing:
        _error(missing_message(missing))
        return 1
    try:
        if args.command == "serve":
            return serve(argv[1:])
        from ._demo import run_demo

        return run_demo()
    except ModuleNotFoundError as exc:
        # a module of the extra that is present but broken (or a dependency of one)
        _error(missing_message([exc.name or str(exc)]))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

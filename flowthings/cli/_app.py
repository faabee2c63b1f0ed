"""The ``flowthings`` argument parser, the environment, and `main`."""

from __future__ import annotations

import argparse
import difflib
import math
import os
import re
import sys
from argparse import SUPPRESS
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn, Protocol

from .._version import __version__
from ._errors import DEFAULT_HOST, DEFAULT_WS_HOST, CliError, ExitCode, describe
from ._output import FORMATS, printable

if TYPE_CHECKING:
    from .._api import API

__all__ = ["build_parser", "main"]

_ENVIRONMENT = """\
environment:
  FLOWTHINGS_ACCOUNT, FLOWTHINGS_TOKEN   credentials (required)
  FLOWTHINGS_HOST      REST host[:port] or URL (http://127.0.0.1:8080 for a
                       local platform); default api.flowthings.io over https
  FLOWTHINGS_WS_HOST   WebSocket host[:port] (default: FLOWTHINGS_HOST when
                       that is set, else ws.flowthings.io)
  FLOWTHINGS_SECURE    0 to use http:// and ws:// (a URL host decides itself)

exit codes:
  0 ok  1 other platform error  2 bad arguments  3 credentials missing or
  rejected  4 flow not found  5 request rejected (bad filter, invalid drop)
  6 host unreachable  130 interrupted
"""

_EXAMPLES = {
    "flows": """\
examples:
  flowthings flows
  flowthings flows --filter 'path =~ /sensors/' --format jsonl
""",
    "drops": """\
examples:
  flowthings drops /alice/sensors                 # the 20 newest, as a table
  flowthings drops sensors --limit 5 --format json
  flowthings drops sensors --filter 'elems.temp > 30' --limit 0 --format csv
""",
    "export": """\
examples:
  flowthings export /alice/sensors -o sensors.jsonl
  flowthings export sensors --format csv -o sensors.csv --filter 'elems.temp > 30'
  flowthings export sensors | gzip > sensors.jsonl.gz

Every drop is streamed page by page (find_iter: consistent while devices keep
writing, memory bounded by one page). A progress line (count, rate, ETA) is
shown on stderr when it is a terminal.
""",
    "tail": """\
examples:
  flowthings tail /alice/sensors
  flowthings tail sensors --filter 'elems.temp > 30' --format jsonl

Reconnects by itself when the connection drops, and then prints the drops
written meanwhile. Ctrl-C stops it (exit code 0).
""",
    "put": """\
examples:
  flowthings put /alice/sensors temp=21.5 room=hall
  flowthings put sensors ok=true tags='["a","b"]' room.floor=2

Values are JSON when they parse as JSON (21, true, null, [1,2], "21"), else
text; dotted keys nest (room.floor=2 -> {"room": {"floor": 2}}).
""",
}


def _count(text: str) -> int:
    """An ``int >= 0`` option (argparse reports anything else as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _page_size(text: str) -> int:
    value = _count(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 1000: {text}")
    return value


def _seconds(text: str) -> float:
    """A duration option: a number of seconds above 0 (else a usage error)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0: {text}")
    return value


def _flow_ref(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("a flow path or id is needed, got an empty string")
    return text


class _Parser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose usage errors suggest the likely intent.

    ``flowthings flws`` -> "did you mean 'flows'?"; ``--json`` -> "--format json".
    The parser and its commands' parsers share one `vocabulary`: every option
    string and every choice (commands included), so that the top-level parser,
    which reports unrecognized arguments, can name an option of a command.
    """

    def __init__(self, *args: Any, vocabulary: set[str] | None = None, **kwargs: Any) -> None:
        # set first: the base constructor already adds -h through add_argument
        self.vocabulary: set[str] = set() if vocabulary is None else vocabulary
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.vocabulary.update(action.option_strings)
        choices: Iterable[object] = action.choices or ()
        self.vocabulary.update(str(c) for c in choices)
        return action

    def error(self, message: str) -> NoReturn:
        super().error(message + _suggestion(self.vocabulary, message))


_FORMAT_FLAGS = {f"--{name}": name for name in (*FORMATS, "text")}


def _suggestion(vocabulary: set[str], message: str) -> str:
    """The hint " (did you mean ...?)" for a misspelt command, choice or option, else ""."""
    choice = re.search(r"invalid choice: '([^']*)'", message)
    if choice:
        words = sorted(w for w in vocabulary if not w.startswith("-"))
        close = difflib.get_close_matches(choice.group(1), words, n=1, cutoff=0.6)
        return f" (did you mean {close[0]!r}?)" if close else ""
    if message.startswith("unrecognized arguments:"):
        options = sorted(w for w in vocabulary if w.startswith("-"))
        for word in message.split(":", 1)[1].split():
            if word in _FORMAT_FLAGS:
                return f" (did you mean --format {_FORMAT_FLAGS[word]}?)"
            if word in options:  # an option of another command, or --version after one
                return f" ({word} belongs to another command, or before the command)"
            if word.startswith("-"):
                close = difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.6)
                if close:
                    return f" (did you mean {close[0]}?)"
    return ""


class _Options(Protocol):
    """A parser or an argument group: where ``add_argument`` goes."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action: ...


def _connection_options(parser: _Options, defaults: dict[str, Any]) -> None:
    """``--host``, ``--ws-host``, ``--insecure`` and ``--timeout`` with these defaults."""
    parser.add_argument(
        "--host", default=defaults["host"], help="REST host[:port] or URL (env FLOWTHINGS_HOST)"
    )
    parser.add_argument(
        "--ws-host", default=defaults["ws_host"],
        help="WebSocket host[:port] (env FLOWTHINGS_WS_HOST)",
    )  # fmt: skip
    parser.add_argument(
        "--insecure", action="store_true", default=defaults["insecure"],
        help="use http:// and ws:// (env FLOWTHINGS_SECURE=0)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=_seconds, default=defaults["timeout"],
        help="seconds per request (30)",
    )  # fmt: skip


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _flow_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "flow", metavar="PATH_OR_ID", type=_flow_ref,
        help="a flow path (/alice/sensors), a path below your account (sensors), or a flow id",
    )  # fmt: skip


def _filter_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filter", "-f", help="a Flow Filter Language expression")


def build_parser() -> argparse.ArgumentParser:
    """The ``flowthings`` parser and its five commands."""
    parser = _Parser(
        prog="flowthings",
        description="Look at and write flowthings.io flows and drops from a terminal.",
        epilog=_ENVIRONMENT, formatter_class=_formatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"flowthings {__version__}")
    _connection_options(parser, {"host": None, "ws_host": None, "insecure": False, "timeout": 30.0})
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, run: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help, description=help, epilog=_EXAMPLES[name] + "\n" + _ENVIRONMENT,
            formatter_class=_formatter, vocabulary=parser.vocabulary,
        )  # fmt: skip
        parser.vocabulary.add(name)
        sub.set_defaults(run=run)
        # `flowthings flows --host URL` works too: given after the command, an
        # option overrides the one before it; not given, it leaves it alone
        connection = sub.add_argument_group("connection options (also accepted before COMMAND)")
        _connection_options(
            connection, dict.fromkeys(("host", "ws_host", "insecure", "timeout"), SUPPRESS)
        )
        return sub

    from . import _commands as c

    flows = command("flows", "List your flows, by path.", c.cmd_flows)
    _filter_arg(flows)
    flows.add_argument("--limit", "-n", type=_count, default=0, help="at most N flows (0: all)")
    flows.add_argument("--format", choices=FORMATS, default="table")

    drops = command("drops", "Show the drops of a flow, newest first.", c.cmd_drops)
    _flow_arg(drops)
    _filter_arg(drops)
    drops.add_argument("--limit", "-n", type=_count, default=20, help="at most N drops (20; 0: all)")
    drops.add_argument("--order", choices=("desc", "asc"), default="desc")
    drops.add_argument("--format", choices=FORMATS, default="table")

    export = command("export", "Stream every drop of a flow to a file.", c.cmd_export)
    _flow_arg(export)
    _filter_arg(export)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.add_argument("--order", choices=("asc", "desc"), default="asc")
    export.add_argument(
        "--page-size", type=_page_size, default=1000, help="drops per request (1 to 1000; 1000)"
    )

    tail = command("tail", "Print drops as they are written (WebSocket).", c.cmd_tail)
    _flow_arg(tail)
    _filter_arg(tail)
    tail.add_argument("--format", choices=("text", "jsonl"), default="text")
    tail.add_argument("--count", type=_count, default=0, help="stop after N drops (0: never)")
    tail.add_argument(
        "--connect-timeout", type=_seconds, default=15.0, help="seconds to open the WebSocket (15)"
    )

    put = command("put", "Write one drop.", c.cmd_put)
    _flow_arg(put)
    put.add_argument("elems", nargs="+", metavar="KEY=VALUE", help="the drop's elements")
    put.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def _flag(text: str) -> bool:
    return text.strip().lower() not in ("0", "false", "no", "off", "")


def _split_scheme(host: str) -> tuple[str, bool | None]:
    """``host`` without its URL scheme, and whether that scheme is TLS (``None``: no scheme)."""
    for scheme, is_secure in (
        ("http://", False), ("https://", True), ("ws://", False), ("wss://", True),
    ):  # fmt: skip
        if host.lower().startswith(scheme):
            return host[len(scheme) :].rstrip("/"), is_secure
    return host, None


def _connect(args: argparse.Namespace, env: dict[str, str]) -> tuple[API, str]:
    """The `API` the environment and options describe, and the host for messages."""
    from .._api import API
    from .._config import Token
    from .._errors import FlowThingsError

    try:
        creds = Token.from_env()
    except FlowThingsError as exc:
        raise CliError(str(exc), ExitCode.CREDENTIALS) from None
    host = args.host or env.get("FLOWTHINGS_HOST") or ""
    secure = not args.insecure and _flag(env.get("FLOWTHINGS_SECURE", "1"))
    host, host_secure = _split_scheme(host)
    ws_host, ws_secure = _split_scheme(args.ws_host or env.get("FLOWTHINGS_WS_HOST") or host)
    # one setting for both (as in the SDK): a scheme given with either host decides it
    said = {v for v in (host_secure, ws_secure) if v is not None}
    if len(said) > 1 or (args.insecure and True in said):
        raise CliError(
            "the REST and WebSocket hosts disagree on TLS: give both http(s):// and ws(s):// "
            "schemes alike (http:// goes with ws://, https:// with wss://), or none and "
            "--insecure for plain connections",
            ExitCode.USAGE,
        )
    if said:
        secure = said.pop()
    options: dict[str, Any] = {"secure": secure, "timeout": args.timeout}
    if host:
        options["host"] = host
    if ws_host:
        options["ws_host"] = ws_host
    shown = f"{'https' if secure else 'http'}://{host or DEFAULT_HOST}"
    args.ws_shown = f"{'wss' if secure else 'ws'}://{ws_host or DEFAULT_WS_HOST}"
    return API(creds, **options), shown


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None) -> int:
    """Run ``flowthings`` with ``argv``; return the exit code (see `ExitCode`).

    Every failure is one line on stderr, ``flowthings: error: ...``; no traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    out = stdout if stdout is not None else sys.stdout
    host = "the platform"
    try:
        api, host = _connect(args, dict(os.environ))
        with api:
            code: int = args.run(args, api, out)
            return code
    except KeyboardInterrupt:
        print("flowthings: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `flowthings export x | head`: the reader left, fine
        _silence_stdout()
        return ExitCode.OK
    except Exception as exc:
        error = describe(exc, host)
        print(f"flowthings: error: {printable(str(error))}", file=sys.stderr)
        return error.code


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass

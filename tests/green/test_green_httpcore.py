"""Under eventlet, `api.async_()` makes httpcore's idle-connection check non-yielding.

httpcore checks, while holding its connection pool's lock, whether an idle
pooled connection was closed by the server (a zero-timeout `select`/`poll`).
eventlet's patched `select` switches to the hub even then, which serialised
the green threads of a large fan-out behind that lock. `GreenLib.tune_httpcore`
swaps in the same check over the unpatched `select` module: same answers, no
switch. Checked in a monkey-patched subprocess (patching must come first).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import contextlib, json, socket, sys, warnings
    warnings.filterwarnings("ignore", message=r"\\s*Eventlet is deprecated")
    with contextlib.suppress(ImportError):
        import trio  # needs the unpatched select (see bench_green.py)
    LIB = sys.argv[1]
    if LIB == "eventlet":
        import eventlet
        eventlet.monkey_patch()
        module = eventlet
        spawn = eventlet.spawn
    else:
        from gevent import monkey
        monkey.patch_all()
        import gevent
        module = gevent
        spawn = gevent.spawn

    import flowthings
    from flowthings import API, Token

    api = API(Token("a", "t"), async_lib=module)
    import httpcore._backends.sync as backend

    before = backend.is_socket_readable
    api.async_()
    api.lazy()  # idempotent
    after = backend.is_socket_readable

    def answers(check):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        idle = check(client)
        peer.sendall(b"x")
        module.sleep(0.05)
        pending = check(client)
        client.recv(1)
        peer.close()
        module.sleep(0.05)
        closed = check(client)
        client.close()
        server.close()
        return [idle, pending, closed, check(None)]

    def ran_before(check):
        # did another green thread run during the check of an idle, connected socket?
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        ran = []
        spawn(ran.append, 1)
        check(client)
        switched = bool(ran)
        module.sleep(0)
        for s in (client, peer, server):
            s.close()
        return switched

    print(json.dumps({
        "replaced": before is not after,
        "marked": getattr(after, "_flowthings_unyielding", False),
        "answers_before": answers(before),
        "answers_after": answers(after),
        "before_yields": ran_before(before),
        "after_yields": ran_before(after),
    }))
    """
)


@pytest.mark.parametrize("lib", ["eventlet", "gevent"])
def test_idle_connection_check(lib: str) -> None:
    assert importlib.util.find_spec(lib), "in the dev extra: install it, not skip"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, lib], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # same answers: idle -> not readable, data pending -> readable, peer gone -> readable
    assert report["answers_before"] == [False, True, True, True]
    assert report["answers_after"] == report["answers_before"]
    if lib == "eventlet":
        assert report["replaced"]
        assert report["marked"]
        assert report["before_yields"] is True  # why: eventlet's select switches to the hub
        assert report["after_yields"] is False
    else:
        assert not report["replaced"]


FAILURE_SCRIPT = textwrap.dedent(
    """
    import contextlib, socket, sys, warnings
    warnings.filterwarnings("ignore", message=r"\\s*Eventlet is deprecated")
    with contextlib.suppress(ImportError):
        import trio
    import eventlet
    eventlet.monkey_patch()
    import eventlet.debug
    eventlet.debug.hub_exceptions(False)  # the documented way to silence failed calls
    from flowthings import API, Token

    def fails_after_a_read(sock):
        sock.recv(1)  # resumed by the hub's fd listener, then raises at once
        raise ValueError("boom")

    def run(spawn):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        thread = spawn(fails_after_a_read, client)
        eventlet.sleep(0.05)
        peer.sendall(b"x")
        try:
            thread.wait()
        except ValueError:
            pass
        for s in (client, peer, server):
            s.close()

    async_api = API(Token("a", "t"), async_lib=eventlet).async_()
    sys.stderr.write("--sdk--\\n")
    run(async_api.spawn)
    sys.stderr.write("--raw--\\n")
    run(eventlet.GreenPool(2).spawn)
    """
)


def test_eventlet_failures_stay_silenced_whatever_resumed_the_thread() -> None:
    assert importlib.util.find_spec("eventlet"), "in the dev extra: install it, not skip"
    done = subprocess.run(
        [sys.executable, "-c", FAILURE_SCRIPT], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    sdk, raw = done.stderr.split("--sdk--\n")[1].split("--raw--\n")
    assert sdk == ""  # GreenLib.wrap: the failure goes through a timer frame
    assert "Removing descriptor" in raw  # why: a bare green thread is reported by the fd listener

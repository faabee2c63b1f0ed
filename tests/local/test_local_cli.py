"""The command line (serve, demo) and the lightness of the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

ENV = {**os.environ, "PYTHONWARNINGS": "error"}


def test_demo_exits_zero() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "flowthings.local", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert r.returncode == 0, r.stderr
    assert "Done." in r.stdout
    assert "temp > 20: ['Harlem', 'Queens']" in r.stdout
    assert r.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_serve_prints_credentials_and_stops_on_ctrl_c() -> None:
    token = "T" * 32
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowthings.local",
            "serve",
            "--port",
            "0",
            "--account",
            "alice",
            "--token",
            token,
            "--account",
            "bob",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        out = "".join(lines)
        assert f"token     {token}" in out, out
        assert "account   bob" in out, out
        base = next(w for w in out.split() if w.startswith("http://") and w.endswith("/alice"))
        with httpx.Client(headers={"X-Auth-Token": token}) as c:
            r = c.post(base + "/flow", json={"path": "/alice/cli"})
            assert r.status_code == 201
            assert (
                c.request("MGET", base + "/flow", json=[r.json()["body"]["id"]]).status_code == 200
            )
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "stopped." in rest
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_serve_rejects_token_mismatch(tmp_path: object) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "flowthings.local", "serve", "--port", "0", "--token", "x"],
        capture_output=True,
        text=True,
        timeout=30,
        env=ENV,
    )
    assert r.returncode != 0
    assert "--token must follow an --account" in r.stderr


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, flowthings.local, flowthings.local.testing as t\n"
        "heavy = [m for m in ('starlette', 'uvicorn', 'lark', 'sqlite3', 'websockets')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert callable(t.local_platform) and t.flowthings_api\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert r.returncode == 0, r.stderr


def test_missing_local_extra_gives_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from flowthings.local.testing import local_platform

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "lark" else real_find_spec(name)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match=r"lark: pip install 'flowthings\[local\]'"), local_platform():
        pass

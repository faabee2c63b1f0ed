"""The command line (serve, demo) and the lightness of the pytest plugin."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    # the aggregation step says which drops it aggregates after the delete step emptied the flow
    assert "emptied /demo/weather: 0 drops left\n" in r.stdout
    after_delete = r.stdout.split("6. Aggregation\n", 1)[1]
    assert after_delete.startswith("   wrote 6 drops to /demo/weather again:\n"), after_delete
    assert re.search(r"\b1 drops\b", r.stdout) is None
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
        "heavy = [m for m in ('starlette', 'uvicorn', 'lark', 'sqlite3', 'websockets', 'pytest')"
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
    with (
        pytest.raises(
            ImportError, match=r"needs lark \(not installed\): pip install \"flowthings\[local\]\""
        ),
        local_platform(),
    ):
        pass


def _run_blocking(
    modules: list[str], code: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``modules`` cannot be imported."""
    block = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", block + code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def _run_main(modules: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    return _run_blocking(
        modules,
        f"sys.argv = ['flowthings.local', *{list(argv)!r}]\n"
        "import runpy\nrunpy.run_module('flowthings.local', run_name='__main__')\n",
    )


@pytest.mark.parametrize(
    ("module", "package"),
    [
        pytest.param("lark", "lark", id="lark"),
        pytest.param("starlette", "starlette", id="starlette"),
        pytest.param("uvicorn", "uvicorn", id="uvicorn"),
        pytest.param("websockets", "websockets", id="websockets"),
        pytest.param("py_mini_racer", "mini-racer", id="mini-racer"),
        pytest.param("re2", "google-re2", id="re2"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_cli_without_the_local_extra_says_what_to_install(
    module: str, package: str, command: str
) -> None:
    r = (
        _run_main([module], command, "--port", "0")
        if command == "serve"
        else _run_main([module], command)
    )
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (
        f"error: the local flowthings platform needs {package} (not installed): "
        'pip install "flowthings[local]"\n'
    )


def test_local_platform_and_demo_work_without_pytest() -> None:
    code = (
        "from flowthings.local.testing import local_platform\n"
        "with local_platform() as lp:\n"
        "    flow = lp.api.flow.create({'path': f'/{lp.account}/nopytest'})\n"
        "    lp.api.drop(flow['id']).create({'elems': {'x': 1}})\n"
        "    assert len(lp.api.drop(flow['id']).find()) == 1\n"
        "assert 'pytest' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "from flowthings.local._demo import run_demo\n"
        "lines = []\n"
        "assert run_demo(lines.append) == 0 and lines[-1] == 'Done.', lines\n"
        "try:\n"
        "    from flowthings.local.testing import flowthings_api\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('the fixtures need pytest')\n"
    )
    r = _run_blocking(["pytest", "_pytest"], code)
    assert r.returncode == 0, r.stderr


def test_fixtures_still_importable_from_testing() -> None:
    from flowthings.local import pytest_fixtures, testing

    assert testing.flowthings_api is pytest_fixtures.flowthings_api
    assert testing.flowthings_platform is pytest_fixtures.flowthings_platform
    assert testing.pytest_plugins == ["flowthings.local.pytest_fixtures"]


def test_fixtures_reach_a_project_through_the_entry_point(tmp_path: Path) -> None:
    # a user's project: no conftest, only the installed plugin provides the fixture
    (tmp_path / "test_user.py").write_text(
        "def test_it(flowthings_api):\n"
        "    flow = flowthings_api.flow.create({'path': f'/{flowthings_api.creds.account}/t'})\n"
        "    assert flowthings_api.flow.read(flow['id'])['path'].endswith('/t')\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=ENV,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowthings.local", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )


def test_bare_command_prints_help_instead_of_serving() -> None:
    r = _run()
    assert r.returncode == 2
    for text in ("serve", "demo", "COMMAND --help"):
        assert text in r.stderr
    assert r.stdout == ""


def test_options_before_a_command_are_refused_with_the_fix() -> None:
    r = _run("--port", "8099")
    assert r.returncode == 2
    assert "python -m flowthings.local serve --port" in r.stderr


def test_serve_help_documents_every_option_and_default() -> None:
    r = _run("serve", "--help")
    assert r.returncode == 0, r.stderr
    for text in (
        "--host HOST",
        "(default: 127.0.0.1)",
        "--port PORT",
        "(default: 8080)",
        "--db URL",
        "postgresql://",
        ":memory:",
        "--account NAME",
        "--token TOKEN",
        "--log-level",
        "(default: info)",
    ):
        assert text in r.stdout, text


def test_demo_help_shows_help_and_does_not_run_the_demo() -> None:
    r = _run("demo", "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: python -m flowthings.local demo")
    assert "Local flowthings platform running" not in r.stdout


@pytest.mark.parametrize(
    ("db", "message"),
    [
        pytest.param(
            "/nonexistent/dir/x.db",
            "error: cannot open database '/nonexistent/dir/x.db': unable to open database file "
            "(directory /nonexistent/dir does not exist)\n",
            id="missing-dir",
        ),
        pytest.param("NOTADB", "file is not a database\n", id="not-sqlite"),
    ],
)
def test_serve_with_a_bad_db_prints_one_line(tmp_path: Path, db: str, message: str) -> None:
    if db == "NOTADB":
        db = str(tmp_path / "x.db")
        Path(db).write_text("not sqlite " * 100, encoding="utf-8")
    r = _run("serve", "--port", "0", "--db", db)
    assert r.returncode == 1
    assert r.stderr.endswith(message), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr

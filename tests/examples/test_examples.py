"""Runs every ``examples/*.py`` script as a subprocess against the session's local platform.

Each script gets a fresh account through ``FLOWTHINGS_HOST`` / ``_ACCOUNT`` /
``_TOKEN``; the tests check its exit code, its output, and what it left on
the platform (read back through the SDK). Two scripts also run with no
``FLOWTHINGS_*`` variable at all, to prove they start a platform on their own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowthings import API, EXISTS, Token, mem
from flowthings.local.testing import LocalPlatform

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXPECTED = [
    "aggregation.py",
    "async_dashboard.py",
    "async_tail.py",
    "filtered_query.py",
    "lazy_fanout.py",
    "live_subscription.py",
    "sensor_writer.py",
]

Run = Callable[[str], str]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FLOWTHINGS_")}


def _run(script: str, env: dict[str, str], cwd: Path = ROOT) -> str:
    """Run ``examples/<script>`` with warnings as errors; return its stdout (exit 0 asserted)."""
    path = os.path.relpath(EXAMPLES / script, cwd)
    result = subprocess.run(
        [sys.executable, "-W", "error", path],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    assert result.stderr == "", result.stderr[-4000:]
    return result.stdout


@pytest.fixture
def creds(flowthings_platform: LocalPlatform) -> Token:
    """A fresh account of the session platform."""
    return flowthings_platform.new_account()


@pytest.fixture
def api(flowthings_platform: LocalPlatform, creds: Token) -> Iterator[API]:
    """An API of that account, to check what the example left on the platform."""
    with flowthings_platform.api_for(creds) as api:
        yield api


@pytest.fixture
def run(flowthings_platform: LocalPlatform, creds: Token) -> Run:
    """Run an example against the session platform as the fresh account."""
    env = _clean_env()
    env.update(
        FLOWTHINGS_HOST=flowthings_platform.host,
        FLOWTHINGS_ACCOUNT=creds.account,
        FLOWTHINGS_TOKEN=creds.token,
    )

    def run(script: str) -> str:
        # twice, as a user re-running it against one server would: the second run
        # must succeed too, and the checks below see only what it printed and left
        first = _run(script, env)
        assert "FLOWTHINGS_HOST is not set" not in first  # it used the fixture server
        again = _run(script, env)
        assert _without_ids(again) == _without_ids(first)
        return again

    return run


def _without_ids(out: str) -> str:
    """The output with ids (``f...``/``d...``) masked and dated lines left out.

    Dated lines (aggregation.py's per-day counts) differ when two runs
    straddle a UTC midnight.
    """
    kept = [line for line in out.splitlines() if not line.startswith(("written on", "statistics:"))]
    return re.sub(r"\b[a-z][0-9a-f]{16,}\b", "ID", "\n".join(kept))


def _flow(api: API, path: str) -> dict[str, object]:
    [flow] = api.flow.find(mem.path == path)
    return flow


def test_the_examples_are_exactly_the_expected_scripts() -> None:
    # A new example must get a test here (and a line in examples/README.md).
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    assert scripts == EXPECTED
    readme = (EXAMPLES / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in EXPECTED)


def test_sensor_writer(run: Run, api: API, creds: Token) -> None:
    out = run("sensor_writer.py")
    path = f"/{creds.account}/greenhouse/sensor-1"
    assert f"created flow {path}" in out
    assert out.count("wrote drop d") == 5
    assert f"5 drops stored in {path}:" in out
    assert re.findall(r"^  minute (\d): ([\d.]+) C, (\d+) %$", out, re.M) == [
        ("0", "21.4", "40"),
        ("1", "21.6", "41"),
        ("2", "22.1", "43"),
        ("3", "22.9", "45"),
        ("4", "23.3", "44"),
    ]

    flow = _flow(api, path)
    assert flow["description"] == "greenhouse sensor 1"
    stored = api.drop(str(flow["id"])).find(limit=100, sort="elems.minute", order="asc", hints=0)
    assert [d["elems"]["temp"] for d in stored] == [21.4, 21.6, 22.1, 22.9, 23.3]
    assert [d["elems"]["humidity"] for d in stored] == [40, 41, 43, 45, 44]
    assert {(d["location"]["lat"], d["location"]["lon"]) for d in stored} == {(40.6782, -73.9442)}
    assert sorted(re.findall(r"wrote drop (\w+):", out)) == sorted(d["id"] for d in stored)


def test_filtered_query(run: Run, api: API, creds: Token) -> None:
    out = run("filtered_query.py")
    expected = [
        ("(elems.temp > 20) && (elems.room == 'kitchen')", "1 drop: ['kitchen:24.5']"),
        ("(elems.temp >= 25) || (elems.temp < 15)", "2 drops: ['Basement:12.0', 'bathroom:26.0']"),
        ("EXISTS elems.alarm", "2 drops: ['Basement:12.0', 'bathroom:26.0']"),
        (
            "elems.room =~ /^b/i",
            "4 drops: ['Basement:12.0', 'bathroom:26.0', 'bed-nook:21.0', 'bedroom:18.5']",
        ),
        (
            "(AGE < 60000) && (NOT EXISTS elems.alarm)",
            "4 drops: ['bed-nook:21.0', 'bedroom:18.5', 'kitchen:19.0', 'kitchen:24.5']",
        ),
        ("(elems.temp > 20) && (elems.room =~ /^bed/)", "1 drop: ['bed-nook']"),
    ]
    for compiled, result in expected:
        assert f"  filter: {compiled}\n  {result}\n" in out

    drops = api.drop(str(_flow(api, f"/{creds.account}/home/climate")["id"]))
    assert len(drops.find(limit=100)) == 6
    alarms = drops.find(EXISTS(mem.elems.alarm), hints=0)
    assert sorted(d["elems"]["alarm"] for d in alarms) == ["flood", "steam"]


def test_aggregation(run: Run, api: API, creds: Token) -> None:
    out = run("aggregation.py")
    groups = re.findall(r"^  (\w+) +n=(\d) avg=([\d.]+) max=([\d.]+) gusty=(\d+)%$", out, re.M)
    assert groups == [
        ("Harlem", "3", "29.8", "40.0", "67"),
        ("Brooklyn", "3", "20.5", "31.0", "33"),
        ("Queens", "2", "9.8", "11.5", "0"),
    ]
    assert "calm readings (< 20 km/h): 4, calmest 8.0\n" in out
    # the writes may straddle a UTC midnight (or a month's end): count over the lines
    days = re.findall(r"^written on (\d{4}-\d\d)-\d\d \(UTC\): (\d+) drops?$", out, re.M)
    assert sum(int(n) for _, n in days) == 8
    stats = re.search(
        r"^statistics: (?P<added>\d+) drops? added in (?P<month>\d{4}-\d\d);", out, re.M
    )
    assert stats is not None
    assert int(stats["added"]) == sum(int(n) for m, n in days if m == stats["month"])

    flow = _flow(api, f"/{creds.account}/weather/wind")
    assert len(api.drop(str(flow["id"])).find(limit=100)) == 8


def test_live_subscription(run: Run, api: API, creds: Token) -> None:
    out = run("live_subscription.py")
    path = f"/{creds.account}/home/doors"
    assert f"subscribed to {path}: ['{path}']" in out
    pushed = re.findall(
        r"^pushed: drop (\w+) of (\w+): \{'door': '(\w+)', 'open': True\}$", out, re.M
    )
    assert [door for _, _, door in pushed] == ["front", "garage", "back"]
    assert out.endswith("connection closed (connected=False)\n")

    flow = _flow(api, path)
    stored = api.drop(str(flow["id"])).find(limit=100)
    assert {d["id"] for d in stored} == {drop_id for drop_id, _, _ in pushed}
    assert {flow_id for _, flow_id, _ in pushed} == {flow["id"]}


def test_lazy_fanout(run: Run, api: API, creds: Token) -> None:
    out = run("lazy_fanout.py")
    assert "lazy  kitchen  1 drop, temps [18]\n" in out
    assert "lazy  cellar   4 drops, temps [21, 20, 19, 18]\n" in out
    assert re.findall(r"^async (\w+) +count=(\d) max=(\d+)$", out, re.M) == [
        ("kitchen", "1", "18"),
        ("hall", "2", "19"),
        ("attic", "3", "20"),
        ("cellar", "4", "21"),
    ]

    flows = api.flow.find(mem.path.re(f"^/{creds.account}/house/"), limit=100)
    counts = {f["path"].rsplit("/", 1)[1]: len(api.drop(f["id"]).find(limit=100)) for f in flows}
    assert counts == {"kitchen": 1, "hall": 2, "attic": 3, "cellar": 4}


@pytest.mark.parametrize(
    ("script", "banner", "summary"),
    [
        ("sensor_writer.py", "an embedded local platform", "5 drops stored in /demo/greenhouse/"),
        ("lazy_fanout.py", "a local platform in a child process", "async cellar   count=4"),
        # these two import their set-up from examples/_async_platform.py
        ("async_dashboard.py", "an embedded local platform", "wrote 12 readings to 3 flows"),
        ("async_tail.py", "an embedded local platform", "connection closed (connected=False)"),
    ],
)
def test_standalone_from_inside_examples(script: str, banner: str, summary: str) -> None:
    # No FLOWTHINGS_* variable: the script starts its own platform; run from examples/.
    out = _run(script, _clean_env(), cwd=EXAMPLES)
    assert out.startswith(f"FLOWTHINGS_HOST is not set: starting {banner}\n")
    assert summary in out


def test_async_dashboard(run: Run, api: API, creds: Token) -> None:
    out = run("async_dashboard.py")
    assert "wrote 12 readings to 3 flows concurrently\n" in out
    assert "kitchen  n=4 latest=22.0 avg=21.50 warm minutes=[2]\n" in out
    assert "bedroom  n=3 latest=18.0 avg=17.83 warm minutes=[]\n" in out
    assert "office   n=5 latest=24.5 avg=24.10 warm minutes=[1, 2, 3, 4]\n" in out
    for room, count in (("kitchen", 4), ("bedroom", 3), ("office", 5)):
        flow = _flow(api, f"/{creds.account}/dashboard/{room}")
        assert len(api.drop(str(flow["id"])).find(limit=100)) == count


def test_async_tail(run: Run, api: API, creds: Token) -> None:
    out = run("async_tail.py")
    assert out.startswith("tailing 2 flows\n")
    assert re.findall(r"^(press|lathe) #(\d) ([\d.]+) C(  ALARM)?$", out, re.M) == [
        ("press", "0", "61.0", ""),
        ("press", "1", "64.5", ""),
        ("press", "2", "71.0", "  ALARM"),
        ("lathe", "0", "40.5", ""),
        ("lathe", "1", "75.5", "  ALARM"),
    ]
    assert "over 70 C, asked over the socket: 2 readings\n" in out
    assert out.endswith("connection closed (connected=False)\n")
    for machine, count in (("press", 3), ("lathe", 2)):
        flow = _flow(api, f"/{creds.account}/plant/{machine}")
        assert len(api.drop(str(flow["id"])).find(limit=100)) == count

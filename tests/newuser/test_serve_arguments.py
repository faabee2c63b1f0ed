"""``python -m flowthings.local serve`` refuses impossible numbers as usage errors.

A port above 65535 reached ``socket.bind`` and ended in an ``OverflowError``
traceback; a non-numeric quota was reported as "invalid _quota value".
"""

from __future__ import annotations

import pytest

from flowthings.local.__main__ import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--port", "99999"], "argument --port: must be from 0 to 65535: 99999", id="port-high"),
        pytest.param(["--port", "-1"], "argument --port: must be from 0 to 65535: -1", id="port-negative"),
        pytest.param(["--port", "http"], "argument --port: not a port number: 'http'", id="port-word"),
        pytest.param(["--quota-bytes", "1GB"], "argument --quota-bytes: not a whole number of bytes: '1GB'", id="quota-word"),
    ],
)  # fmt: skip
def test_impossible_numbers_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith(message)
    assert "Traceback" not in err

"""A bug of the filter engine is a 500 with a logged traceback, never a 400.

Only what the filter text got wrong is a ``FilterSyntaxError`` (a 400 that
blames the caller). An exception from inside the parser or compiler must
propagate: the REST layer answers 500 and logs it, and the fuzz tests (which
accept nothing but ``FilterSyntaxError``) fail on it.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from flowthings.local.query import parser as _filter_lang
from flowthings.local.query.parser import FilterSyntaxError, parse_filter
from flowthings.local.testing import LocalPlatform

from . import test_filter_fuzz


@pytest.fixture
def broken_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiler fails with an internal error (as an off-by-one would)."""

    def compile_tree(tree: Any) -> Any:
        raise IndexError("list index out of range")

    monkeypatch.setattr(_filter_lang, "compile_tree", compile_tree)
    _filter_lang._parse_cached.cache_clear()


def test_internal_error_is_not_a_syntax_error(broken_compiler: None) -> None:
    with pytest.raises(IndexError, match="list index out of range"):
        parse_filter("elems.x == 1")


def test_real_syntax_errors_stay_syntax_errors(broken_compiler: None) -> None:
    with pytest.raises(FilterSyntaxError, match="use '==' to compare"):
        parse_filter("elems.x = 1")


def test_fuzz_checks_fail_on_an_internal_error(broken_compiler: None) -> None:
    with pytest.raises(IndexError):
        test_filter_fuzz._parse_or_syntax_error("elems.x == 2")


def test_internal_error_is_a_500_with_a_logged_traceback(
    flowthings_platform: LocalPlatform, broken_compiler: None, caplog: pytest.LogCaptureFixture
) -> None:
    creds = flowthings_platform.new_account()
    headers = {"X-Auth-Token": creds.token}
    with httpx.Client(headers=headers) as http:
        base = flowthings_platform.url(account=creds.account)
        flow = http.post(f"{base}/flow", json={"path": f"/{creds.account}/f"}).json()["body"]
        with caplog.at_level(logging.ERROR, logger="flowthings.local"):
            r = http.get(f"{base}/drop/{flow['id']}", params={"filter": "elems.x == 3"})
        bad = http.get(f"{base}/drop/{flow['id']}", params={"filter": "elems.x = 3"})
    assert r.status_code == 500
    assert r.json()["head"]["errors"] == ["An internal error occurred."]
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged, caplog.text
    assert isinstance(logged[0].exc_info[1], IndexError)  # type: ignore[index]
    # the text's own mistake is still the caller's 400
    assert bad.status_code == 400
    assert "use '==' to compare" in bad.json()["head"]["errors"][0]

"""The green views' typed mirrors stay in step with the sync services (issue 16)."""

from __future__ import annotations

from flowthings import API, Token
from flowthings.green._views import AsyncView

from .gen_green import CLASSES, TARGET, render


def test_generated_mirrors_are_in_step_with_the_services() -> None:
    assert TARGET.read_text() == render(), (
        "services changed: run `PYTHONPATH=. python tests/typing/gen_green.py`"
    )


def test_every_service_of_the_api_has_a_mirror() -> None:
    with API(Token("acc", "tok")) as api:
        services = {type(value).__name__ for value in vars(api).values() if hasattr(value, "path")}
    assert services <= set(CLASSES)


def test_the_mirrors_are_for_checkers_only() -> None:
    # At run time the views stay the generic proxies the mirrors describe.
    assert not TARGET.with_suffix(".py").exists()
    assert not {"find", "read", "typed_find"} & set(vars(AsyncView))

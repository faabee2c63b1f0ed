"""Reading back what the load and crash tests wrote."""

from __future__ import annotations

from typing import Any

from flowthings import API

PAGE = 1000  # the platform's largest page


def all_drops(api: API, flow_id: str) -> list[dict[str, Any]]:
    """Every drop of the flow, oldest first, paged with ``limit``/``start``."""
    out: list[dict[str, Any]] = []
    while True:
        page = api.drop(flow_id).find(limit=PAGE, start=len(out), order="asc")
        out.extend(page)
        if len(page) < PAGE:
            return out


def plain(elems: dict[str, Any]) -> dict[str, Any]:
    """``/v0.1`` renders elements typed (``{"type": ..., "value": ...}``): their values."""
    return {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in elems.items()}

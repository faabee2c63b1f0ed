# Stubs for the parts of gevent that flowthings uses (gevent 24.2+).
from gevent import monkey as monkey, pool as pool
from gevent.greenlet import Greenlet as Greenlet
from gevent.hub import get_hub as get_hub, sleep as sleep

__version__: str

spawn = Greenlet.spawn

def joinall(
    greenlets: list[Greenlet[object]], timeout: float | None = None, raise_error: bool = False, count: int | None = None
) -> list[Greenlet[object]]: ...

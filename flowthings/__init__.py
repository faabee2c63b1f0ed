"""flowthings: the typed Python SDK for the flowthings.io IoT data platform.

Examples:
    >>> from flowthings import API, Token, mem
    >>> api = API(Token('<account>', '<token>'))
    >>> api.flow.find(mem.path == '/alice/sensors')
"""

from ._api import API
from ._config import DEFAULT, Defaults, Token, defaults
from ._errors import (
    FlowThingsBadRequest,
    FlowThingsConflict,
    FlowThingsConnectionError,
    FlowThingsError,
    FlowThingsException,
    FlowThingsForbidden,
    FlowThingsMethodNotAllowed,
    FlowThingsNotFound,
    FlowThingsRateLimited,
    FlowThingsServerError,
    FlowThingsTimeout,
)
from ._modify import M, Modify, P, Params
from ._version import __version__
from .filters import AGE, EXISTS, HAS, MATCHES, NOT, Filter, Member, mem
from .green._api import AsyncAPI, AsyncView, GreenPageIterator, GreenThunk, LazyAPI, LazyView
from .websocket._client import (
    FlowThingsConnectionLost,
    FlowThingsNotConnected,
    FlowThingsRequestTimeout,
    WebSocketClient,
)

__all__ = [
    "AGE",
    "API",
    "AsyncAPI",
    "AsyncView",
    "DEFAULT",
    "EXISTS",
    "HAS",
    "MATCHES",
    "NOT",
    "Defaults",
    "Filter",
    "GreenPageIterator",
    "GreenThunk",
    "FlowThingsBadRequest",
    "FlowThingsConflict",
    "FlowThingsConnectionError",
    "FlowThingsConnectionLost",
    "FlowThingsError",
    "FlowThingsException",
    "FlowThingsForbidden",
    "FlowThingsMethodNotAllowed",
    "FlowThingsNotConnected",
    "FlowThingsNotFound",
    "FlowThingsRateLimited",
    "FlowThingsRequestTimeout",
    "FlowThingsServerError",
    "FlowThingsTimeout",
    "LazyAPI",
    "LazyView",
    "M",
    "Member",
    "Modify",
    "P",
    "Params",
    "Token",
    "WebSocketClient",
    "__version__",
    "defaults",
    "mem",
]

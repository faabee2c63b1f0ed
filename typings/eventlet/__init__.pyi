# Stubs for the parts of eventlet that flowthings uses (eventlet 0.36+).
from eventlet import debug as debug, patcher as patcher
from eventlet.greenpool import GreenPool as GreenPool
from eventlet.greenthread import GreenThread as GreenThread, sleep as sleep, spawn as spawn
from eventlet.patcher import monkey_patch as monkey_patch

__version__: str

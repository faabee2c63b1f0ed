"""The track engine: routing a drop through filters and JavaScript, in a sandbox.

Owns the engine that follows a drop through an account's tracks (breadth
first, loops cut, fan-out caps; :mod:`.engine`), the JS sandbox API and the
checks on what a script returns (:mod:`.js`), and the pool of worker
processes that run mini-racer under OS memory limits (:mod:`.js_pool`, which
starts ``js_worker.py`` as a script). It is given the tracks, an ``accept``
and an ``authorize`` callback: it reads and writes nothing itself. It may
import :mod:`flowthings.local.base`, :mod:`flowthings.local.query` (track
filters, element rendering) and :mod:`flowthings.local.analytics` (the
series names it reports).
"""

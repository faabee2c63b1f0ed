"""The transport-independent platform: accounts, access decisions, operations.

Owns :class:`.platform.Platform` (accounts, objects, listeners; drop
operations in :mod:`.drops`), the one access decision (:mod:`.auth`, with
token and share scopes in :mod:`.permissions`), the object kinds and their
validation (:mod:`.resources`, :mod:`.validate`), the request type
(:mod:`.calls`) and its routing to operations (:mod:`.dispatch`, built-in
extra routes in :mod:`.extensions`), and the glue that routes a committed
drop through the track engine (:mod:`.routing`). It may import ``base``,
``storage``, ``query``, ``analytics`` and ``tracks``; never ``http``,
``realtime`` or the top-level modules.
"""

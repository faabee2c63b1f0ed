"""Foundation of the local platform: the response envelope and its errors, ids.

Owns :mod:`.envelope` (``PlatformError``, ``Result``, the ``{head, body}``
envelope, the 400/403/404/405/429 constructors and the JSON depth and
surrogate limits every way in shares) and :mod:`.ids` (object ids, token
strings, the millisecond clock) and :mod:`.elem_class` (the element classes
of the ``drop_elems`` side table). Every other package may import it; it
imports nothing from ``flowthings.local`` (only the standard library).
"""

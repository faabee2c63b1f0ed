"""The Flow Filter Language and the query parameters of the find endpoints.

Owns the lark grammar (``grammar.lark``) and its parser (:mod:`.parser`),
the compiler of parse trees into predicates (:mod:`.compiler`), the value
semantics they share with aggregation (:mod:`.evaluate`), linear-time RE2
regexes with a per-request budget (:mod:`.regex`), the date-range bounds a
filter implies for range scans (:mod:`.bounds`), typed-element rendering
(:mod:`.elements`) and the find parameters: filter, sort, paging, projection
(:mod:`.params`). Pure functions over dicts: it may import only
:mod:`flowthings.local.base`.
"""

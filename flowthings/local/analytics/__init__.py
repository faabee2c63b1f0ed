"""Aggregation and statistics: pure computations over drops and counters.

Owns the aggregation engine behind ``POST /drop/{flowId}/aggregate``
(:mod:`.aggregate`: filter, group by, output functions) and the statistics
series, bucketing and date ranges (:mod:`.statistics`). Reads nothing itself
(``core`` passes the drops and counts in). It may import
:mod:`flowthings.local.base` and :mod:`flowthings.local.query` (filters and
member resolution).
"""

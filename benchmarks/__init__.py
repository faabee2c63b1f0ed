"""The flowthings benchmarks: ``python -m benchmarks [--quick] [--output PATH]``.

Every figure is a ratio against a baseline measured in the same run on the
same local server; see :mod:`benchmarks.run`.
"""

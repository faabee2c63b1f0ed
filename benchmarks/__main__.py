"""``python -m benchmarks``: run every benchmark, print and write the table."""

from benchmarks.run import main

main()

from __future__ import annotations

from bench.throughput.run import main

main()

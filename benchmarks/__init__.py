"""vsphere-nb benchmarks: every figure measured against the simulator over loopback HTTP, next to an honest,
labelled baseline measured in the same run. ``python -m benchmarks.run`` (``make bench``) writes
``benchmarks/results.md`` and ``benchmarks/results.json``; ``python -m benchmarks.chaos`` (``make chaos``) runs the
chaos suite. See :mod:`benchmarks.run`.
"""

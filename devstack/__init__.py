"""Throwaway PostgreSQL and Redis, real ``paygate serve``/``worker`` processes, bounded waits.

Shared by the tests (``tests/``) and the benchmarks (``bench/``), so both start paygate the same
way. Plain modules, no pytest. Development tooling: not part of the ``paygate`` package or its
wheel, and it imports neither the tests nor the benchmarks.
"""

"""Bounded polling for tests and benchmarks: every wait has a deadline and says what it waited for."""

from __future__ import annotations

import time


def wait_until(fn, timeout: float = 30.0, what: str = "condition", interval: float = 0.1):
    """Call ``fn`` until it returns something truthy (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s")

"""Waiting on a group committer's futures in tests: each request's answer, or the error it got."""

from __future__ import annotations


def outcomes(futures, timeout: float = 30) -> list:
    """The result of each future, in order, with an exception standing for its request's error."""
    out = []
    for f in futures:
        try:
            out.append(f.result(timeout=timeout))
        except Exception as exc:
            out.append(exc)
    return out

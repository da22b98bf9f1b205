"""Query parameters as the handlers see them.

A parameter sent empty (``?to=``) is a value to check, not a missing one: ``to=`` is refused like
any other timestamp the server cannot use, as the OpenAPI document says. (Sanic drops blank
values unless asked to keep them.)
"""

from __future__ import annotations


def query_params(request, names) -> dict:
    """``{name: value or None}`` for ``names``; the first value when a name repeats."""
    args = request.get_args(keep_blank_values=True)
    return {name: args.get(name) for name in names}

"""Messages that carry API results from thread workers back to the screens (on the event loop)."""

from __future__ import annotations

from textual.message import Message


class Fetched(Message):
    """A call finished: ``key`` names what was asked for, ``data`` is the decoded JSON."""

    def __init__(self, key: str, data, context=None) -> None:
        super().__init__()
        self.key, self.data, self.context = key, data, context


class FetchFailed(Message):
    """A call failed with the API's error (code + description) or a connection error."""

    def __init__(self, key: str, error) -> None:
        super().__init__()
        self.key, self.error = key, error

""""Ready!" only when it is true: a watcher thread that waits until every port accepts a connection.

``paygate serve`` binds its ports well after the command starts (apps built, database migrated,
Sanic workers spawned); a script that waits for "Ready!" must be able to connect at once.
"""

from __future__ import annotations

import socket
import threading
import time

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((_WILDCARDS.get(host, host), port), timeout=timeout):
            return True
    except OSError:
        return False


def announce_when_listening(host: str, ports: list[int], announce, poll_s: float = 0.05) -> threading.Thread:
    """Call ``announce()`` once, from a daemon thread, as soon as every port accepts a connection.

    Never announces if the server dies first (the thread dies with the process).
    """

    def watch():
        waiting = list(ports)
        while waiting:
            waiting = [port for port in waiting if not accepts(host, port)]
            if waiting:
                time.sleep(poll_s)
        announce()

    thread = threading.Thread(target=watch, name="paygate-ready", daemon=True)
    thread.start()
    return thread

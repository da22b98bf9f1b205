""""Ready!" only when it is true: a watcher thread that waits until every port accepts a connection.

``paygate serve`` binds its ports well after the command starts (apps built, database migrated,
Sanic workers spawned); a script that waits for "Ready!" must be able to connect at once. And
before anything starts, :func:`unbindable` finds a port another process holds: otherwise the
watcher would connect to *that* process and announce a daemon that is about to fail.
"""

from __future__ import annotations

import errno
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


def unbindable(host: str, ports: dict[int, str]) -> str | None:
    """One line saying which of ``ports`` ({port: what it is for}) cannot be bound, or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port, purpose in ports.items():
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed socket in TIME_WAIT is no obstacle
            try:
                probe.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return f"port {port} ({purpose}) is already in use on {host or '0.0.0.0'}: stop the process using it, or choose another port ({purpose == 'API' and '--port / PAYGATE_API_PORT' or '--checkout-port / PAYGATE_CHECKOUT_PORT'})"
                return f"cannot listen on {host}:{port} ({purpose}): {exc.strerror or exc}"
    return None

"""Sanic's worker processes die with the ``paygate serve`` process that started them.

With ``serve --workers N``, Sanic's main process spawns the API workers and stops them on SIGINT
or SIGTERM. A main process that is SIGKILLed (the OOM killer, a supervisor's last resort, a fault
test) cannot, and its workers would go on as orphans: still holding the ports, their database
connections and their share of the committer's work. So each worker asks the kernel to SIGKILL it
when its parent exits (Linux ``prctl(PR_SET_PDEATHSIG)``), then checks that its parent is still
the process that started it, in case that one died before the request was made. Where prctl is
missing, a daemon thread polls ``getppid()`` instead. The same goes for the process Sanic starts
to share its workers' state (a ``multiprocessing`` manager); multiprocessing's resource tracker
ends by itself once every process holding its pipe is gone.

The other way round, Sanic's last resort (a worker that never acknowledged its start, a second
Ctrl-C during shutdown) SIGKILLs each worker's *process group*. The workers share the group of
the process that launched ``serve`` (a shell script, a supervisor, a test runner), so that kill
took the launcher down with them. Here it kills the workers, each by its pid, and then the main
process, as before, and nothing else.

Refuses: nothing to configure; but for that last resort, the main process itself is never touched.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
from contextlib import suppress

log = logging.getLogger("paygate.serve")

ENV = "PAYGATE_SERVE_PID"  # set by the main process before it spawns workers; they inherit it
PR_SET_PDEATHSIG = 1
POLL_S = 1.0


def mark_main_process() -> None:
    """In the main process, before Sanic spawns its workers and its state manager."""
    os.environ[ENV] = str(os.getpid())
    import sanic.mixins.startup as startup

    if getattr(startup, "Manager", None) is not None:  # Sanic calls multiprocessing.Manager() there
        startup.Manager = _state_manager
    from sanic.worker.manager import WorkerManager

    WorkerManager.kill = _kill_workers_only


def _kill_workers_only(manager) -> None:
    """``WorkerManager.kill`` without ``killpg``: SIGKILL each worker process, then this main
    process (Sanic's group kill ended it too); the state manager follows by its death signal."""
    for process in manager.processes:
        log.warning("killing the worker process %s [%s]", process.name, process.pid)
        with suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)


def _state_manager():
    """``multiprocessing.Manager()`` for Sanic, whose server process also dies with ``serve``."""
    from multiprocessing import get_context
    from multiprocessing.managers import SyncManager

    manager = SyncManager(ctx=get_context())
    manager.start(initializer=die_with_parent)
    return manager


def _prctl_pdeathsig() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            threading.Event().wait(POLL_S)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="paygate-parent-watch", daemon=True).start()


def die_with_parent() -> None:
    """In a worker process: end when the main ``serve`` process ends, however it ends."""
    raw = os.environ.get(ENV, "")
    if not raw.isdigit():
        return  # not started by `paygate serve --workers N`
    parent = int(raw)
    if not _prctl_pdeathsig():
        _watch_parent(parent)
    if os.getppid() != parent:  # the main process died before the kernel was asked
        log.warning("the serve process %s is gone; this worker exits", parent)
        os._exit(1)

"""The core imports no transport: proven in a fresh interpreter."""

import pkgutil
import subprocess
import sys

import paygate

FORBIDDEN = ("sanic", "huey", "textual", "typer", "requests", "redis", "click", "orjson")
ADAPTERS = ("paygate.server", "paygate.jobs", "paygate.tui", "paygate.cli")


def core_modules():
    return sorted(
        "paygate." + m.name
        for m in pkgutil.iter_modules(paygate.__path__)
        if not m.ispkg and m.name != "__main__" and "paygate." + m.name not in ADAPTERS
    )


def test_there_is_a_core_to_check():
    assert {"paygate.payments", "paygate.models", "paygate.events"} <= set(core_modules())


def test_core_imports_no_transport():
    modules = core_modules()
    code = (
        "import sys\n"
        f"for m in {modules!r}: __import__(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout.strip()}"

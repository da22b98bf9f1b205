"""Who may import whom: the core no transport (in a fresh interpreter); the console not the
command line; only `paygate tui` the console; no cycle in the jobs adapter; nothing shipped the tests."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import paygate

FORBIDDEN = ("sanic", "huey", "textual", "typer", "requests", "redis", "click", "orjson")
ADAPTERS = ("paygate.server", "paygate.jobs", "paygate.tui", "paygate.cli", "paygate.client")


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


# --- The import graph, read from the source (imports inside functions count too) ---------------

ROOT = Path(paygate.__file__).resolve().parent.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file, as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _graph(*folders: str) -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))}


def _importers(graph: dict[str, set[str]], prefix: str) -> set[str]:
    return {m for m, deps in graph.items() if any(d == prefix or d.startswith(prefix + ".") for d in deps)}


def test_the_console_does_not_import_the_command_line():
    tui = {m: deps for m, deps in _graph("paygate").items() if m.startswith("paygate.tui")}
    assert len(tui) > 10
    assert _importers(tui, "paygate.cli") == set()
    code = "import sys, pkgutil, importlib, paygate.tui as t\n" \
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(t.__path__, 'paygate.tui.')]\n" \
        "print(sorted(n for n in sys.modules if n == 'paygate.cli' or n.startswith('paygate.cli.')))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_only_the_tui_command_imports_the_console():
    graph = _graph("paygate", "bench")
    outside = {m for m in _importers(graph, "paygate.tui") if not m.startswith("paygate.tui")}
    assert outside == {"paygate.cli.console"}
    code = "import sys, paygate.cli\nprint(sorted(n for n in sys.modules if n.startswith('paygate.tui') or n == 'textual'))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", "importing the CLI loaded the console"


def test_no_import_cycle_among_the_jobs_modules():
    jobs = {m: {d for d in deps if d.startswith("paygate.jobs.")} for m, deps in _graph("paygate/jobs").items()}
    jobs = {m: {d if d in jobs else d.rpartition(".")[0] for d in deps} & set(jobs) - {m} for m, deps in jobs.items()}
    assert {"paygate.jobs.tasks", "paygate.jobs.delivery", "paygate.jobs.dispatch"} <= set(jobs)
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " → ".join(path[path.index(module):] + (module,))
        if module in done:
            return
        for dep in sorted(jobs[module]):
            visit(dep, path + (module,))
        done.add(module)

    for module in sorted(jobs):
        visit(module, ())



def test_nothing_shipped_or_benchmarked_imports_the_tests():
    graph = _graph("paygate", "bench", "devstack")
    assert len(graph) > 100
    assert _importers(graph, "tests") == set()
    assert _importers({m: d for m, d in graph.items() if m.startswith("paygate")}, "bench") == set()

"""The wheel is self-contained: built from the sources, installed into a fresh virtualenv outside
the checkout, ``paygate serve`` there serves ``/checkout.js`` (the SDK, shipped inside the package)
and ``/health``.

Bounded and offline: the wheel is built without build isolation (the test environment's
setuptools) from a copy of the files a build reads, and installed with ``--no-deps --no-index``.
paygate's dependencies come from this test environment's site-packages (a ``.pth`` line in the
fresh venv), so nothing is downloaded; paygate itself only from the wheel — which the test checks.
"""

from __future__ import annotations

import shutil
import signal
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import requests

from devstack.daemon import clean_env
from devstack.services import free_port
from devstack.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]


def _run(*args, timeout: float = 180, **kw) -> str:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    assert out.returncode == 0, f"{args}: {out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    return out.stdout


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "paygate", src / "paygate", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--no-build-isolation", "-w", tmp / "dist", src)
    (wheel,) = (tmp / "dist").glob("paygate-*.whl")
    return wheel


def test_the_wheel_installs_and_serves_outside_the_checkout(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if n.endswith("checkout.js")] == ["paygate/server/static/checkout.js"]
    assert {"paygate/server/static/checkout.html", "paygate/server/static/checkout-page.js", "paygate/tui/paygate.tcss"} <= set(names)
    assert not [n for n in names if n.split("/")[0] in ("bench", "tests", "devstack", "sdk")], "development tooling shipped"

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    fresh_site = Path(_run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (fresh_site / "test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(sys.executable, "-m", "pip", "--python", py, "install", "--quiet", "--no-deps", "--no-index", wheel)
    where = _run(py, "-c", "import paygate, pathlib; print(pathlib.Path(paygate.__file__).resolve())", cwd=tmp_path).strip()
    assert where.startswith(str(fresh_site)), f"paygate came from {where}, not the wheel"

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    api, checkout = free_port(), free_port()
    env = clean_env() | {
        "PAYGATE_HOST": "127.0.0.1",
        "PAYGATE_API_PORT": str(api),
        "PAYGATE_CHECKOUT_PORT": str(checkout),
        "PAYGATE_METRICS_PORT": str(free_port()),
        "PAYGATE_DATA_DIR": str(run_dir / "data"),
        "PYTHONPATH": "",
    }
    log = open(run_dir / "serve.log", "wb")
    server = subprocess.Popen([venv / "bin" / "paygate", "serve"], cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            health = wait_until(lambda: _get_ok(f"http://127.0.0.1:{api}/health"), 45, "paygate serve (from the wheel) healthy")
        except AssertionError as exc:
            log.flush()
            raise AssertionError(f"{exc}\n{(run_dir / 'serve.log').read_text(errors='replace')[-4000:]}") from None
        assert health.json()["database"] == "connected"
        sdk = requests.get(f"http://127.0.0.1:{checkout}/checkout.js", timeout=5)
        assert sdk.status_code == 200 and "PaymentGateway" in sdk.text
        assert sdk.content == (REPO / "paygate" / "server" / "static" / "checkout.js").read_bytes()
        page = requests.get(f"http://127.0.0.1:{checkout}/checkout", params={"order_id": "order_x"}, timeout=5)
        assert page.status_code == 200 and "checkout-container" in page.text
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        log.close()
    assert server.returncode is not None


def _get_ok(url: str):
    try:
        r = requests.get(url, timeout=2)
    except requests.RequestException:
        time.sleep(0.2)
        return None
    return r if r.status_code == 200 else None


def test_the_image_installs_the_wheel_and_runs_unprivileged():
    """The Dockerfile's last stage installs a built wheel (never the source tree, never ``-e``),
    copies no development tooling, and switches to its non-root user before the command."""
    text = (REPO / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM ") :]
    lines = [line.strip() for line in final.splitlines()]
    assert any("pip install" in line and ".whl" in line for line in lines)
    assert " -e " not in final and "COPY paygate" not in final
    assert not [line for line in text.splitlines() if line.startswith("COPY") and any(d in line for d in ("bench", "tests", "sdk", "devstack"))]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines.index(f"USER {users[-1]}") < next(i for i, line in enumerate(lines) if line.startswith("CMD"))

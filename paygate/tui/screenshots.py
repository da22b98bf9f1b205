"""Export an SVG screenshot of each console screen (for docs/ and the README).

    python -m paygate.tui.screenshots --api-url http://localhost:8000 --out docs --size 120x40

Runs the real console headless against a running daemon (start one and ``paygate simulate``
first, so there is something to see), waits for each screen's data, and saves
``console-overview.svg``, ``console-transactions.svg``, ``console-webhooks.svg``,
``console-events.svg`` and ``console-payment.svg``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ..client import Client, resolve_credentials
from .app import PaygateConsole

SCREENS = (("1", "overview"), ("2", "transactions"), ("3", "webhooks"), ("4", "events"))


async def _settle(pilot, seconds: float = 2.5) -> None:
    await pilot.pause(seconds)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def capture(api: Client, out: Path, size=(120, 40), suffix: str = "") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    app = PaygateConsole(api)
    async with app.run_test(size=size) as pilot:
        for key, name in SCREENS:
            await pilot.press(key)
            await _settle(pilot)
            saved.append(Path(app.save_screenshot(f"console-{name}{suffix}.svg", path=str(out))))
        await pilot.press("2")
        await _settle(pilot, 1.0)
        await pilot.press("enter")
        await _settle(pilot, 1.5)
        saved.append(Path(app.save_screenshot(f"console-payment{suffix}.svg", path=str(out))))
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description="Export SVG screenshots of the paygate console.")
    parser.add_argument("--api-url")
    parser.add_argument("--api-key")
    parser.add_argument("--api-secret")
    parser.add_argument("--out", default="docs")
    parser.add_argument("--size", default="120x40", help="COLSxROWS")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. -80x24")
    args = parser.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    api = Client(resolve_credentials(args.api_url, args.api_key, args.api_secret))
    for path in asyncio.run(capture(api, Path(args.out), (cols, rows), args.suffix)):
        print(path)


if __name__ == "__main__":
    main()

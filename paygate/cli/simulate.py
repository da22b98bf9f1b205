"""``paygate simulate``: realistic merchant traffic through the API, so the console comes alive.

Orders, then UPI and card payments at a steady rate: mostly approvals, some declines through the
deterministic test instruments (declined card, failure VPA), and partial or full refunds of a
share of the successful ones once they settle. Bounded by ``--duration`` and ``--rate``; it only
ever talks to the daemon's API, like a merchant's shop would.
"""

from __future__ import annotations

import random
import time
from collections import deque

import typer

from ..client import CONNECTION_ERROR, ApiError
from ..instruments import DECLINED_CARD, FAILURE_VPA, SUCCESS_CARD
from .common import fail
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, connect

CARDS = {
    "success": {"number": SUCCESS_CARD, "expiry_month": 12, "expiry_year": 2034, "cvv": "123", "holder_name": "Asha Rao"},
    "decline": {"number": DECLINED_CARD, "expiry_month": 11, "expiry_year": 2033, "cvv": "456", "holder_name": "Ravi Iyer"},
    "random": {"number": "5555 5555 5555 4444", "expiry_month": 8, "expiry_year": 2031, "cvv": "789", "holder_name": "Meera Das"},
}
VPAS = ("asha@okicici", "ravi@oksbi", "meera@paytm", "kiran@ybl")
PRICES = (9900, 14900, 24900, 49900, 99900, 129900, 249900)
SETTLE_AFTER_S = 2.0


def instrument_for(rng: random.Random) -> dict:
    """One shopper's attempt: 60 % UPI, 40 % card; about one in twelve forced to decline."""
    declined = rng.random() < 0.08
    if rng.random() < 0.6:
        return {"vpa": FAILURE_VPA if declined else rng.choice(VPAS)}
    return {"card": CARDS["decline"] if declined else CARDS[rng.choice(("success", "random"))]}


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        duration: float = typer.Option(60.0, "--duration", min=1, max=3600, help="Seconds to run (1-3600)."),
        rate: float = typer.Option(2.0, "--rate", min=0.1, max=50, help="Payments per second (0.1-50)."),
        refund_share: float = typer.Option(0.15, "--refund-share", min=0, max=1, help="Share of successful payments refunded."),
        seed: int = typer.Option(None, "--seed", help="Random seed, for a reproducible run."),
        api_url: str = ApiUrlOption,
        api_key: str = ApiKeyOption,
        api_secret: str = ApiSecretOption,
    ):
        """Drive realistic traffic (orders, UPI/card payments, declines, refunds) through the API.

        Example: paygate simulate --duration 60 --rate 3
        """
        api = connect(api_url, api_key, api_secret)
        rng = random.Random(seed)
        settling: deque[tuple[float, str]] = deque()
        counts = {"payments": 0, "refunds": 0, "errors": 0}
        total = max(1, int(duration * rate))
        started = time.monotonic()
        with typer.progressbar(length=total, label="Simulating traffic", show_pos=True) as bar:
            for n in range(total):
                _sleep_until(started + n / rate)
                try:
                    order = api.create_order(rng.choice(PRICES), receipt=f"sim-{n}")
                    payment = api.create_payment(order["id"], **instrument_for(rng))
                    counts["payments"] += 1
                    settling.append((time.monotonic() + SETTLE_AFTER_S, payment["id"]))
                    _refund_settled(api, rng, settling, refund_share, counts)
                except ApiError as exc:
                    if exc.code == CONNECTION_ERROR:
                        fail(exc)
                    counts["errors"] += 1
                bar.update(1)
        typer.echo(f"Sent {counts['payments']} payments and {counts['refunds']} refunds ({counts['errors']} errors) in {time.monotonic() - started:.0f}s")


def _sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _refund_settled(api, rng, settling: deque, share: float, counts: dict) -> None:
    """Refund some payments that have had time to settle: half partially, half in full."""
    while settling and settling[0][0] <= time.monotonic():
        _, payment_id = settling.popleft()
        if rng.random() >= share:
            continue
        payment = api.payment(payment_id)
        if payment["status"] != "success":
            continue
        amount = payment["amount"] if rng.random() < 0.5 else max(100, payment["amount"] // 4)
        api.create_refund(payment_id, amount, "simulated return")
        counts["refunds"] += 1

"""``paygate simulate``: realistic merchant traffic through the API, so the console comes alive.

Orders, then UPI and card payments at a steady rate: mostly approvals, some declines through the
deterministic test instruments (declined card, failure VPA), and partial or full refunds of a
share of the successful ones once they settle. Bounded by ``--duration`` and ``--rate``; it only
ever talks to the daemon's API, like a merchant's shop would.

The bank's delay is not known here (1 s in test mode, 5-10 s otherwise), so a payment chosen for a
refund is polled until it reaches its final state, never refunded on a guess; after the last
payment the run waits (at most ``--settle-timeout``) for those payments and their refunds to
finish, so every event it promises (payment.success/failed, refund.created/processed) happens.
"""

from __future__ import annotations

import random
import sys
import time
from collections import deque

import typer

from ..client import CONNECTION_ERROR, ApiError
from ..instruments import DECLINED_CARD, FAILURE_VPA, SUCCESS_CARD
from .common import fail, print_json
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, connect

CARDS = {
    "success": {"number": SUCCESS_CARD, "expiry_month": 12, "expiry_year": 2034, "cvv": "123", "holder_name": "Asha Rao"},
    "decline": {"number": DECLINED_CARD, "expiry_month": 11, "expiry_year": 2033, "cvv": "456", "holder_name": "Ravi Iyer"},
    "random": {"number": "5555 5555 5555 4444", "expiry_month": 8, "expiry_year": 2031, "cvv": "789", "holder_name": "Meera Das"},
}
VPAS = ("asha@okicici", "ravi@oksbi", "meera@paytm", "kiran@ybl")
PRICES = (9900, 14900, 24900, 49900, 99900, 129900, 249900)
POLL_EVERY_S = 1.0


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
        settle_timeout: float = typer.Option(30.0, "--settle-timeout", min=0, max=600, help="Most seconds to wait at the end for payments and refunds to settle."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        api_url: str = ApiUrlOption,
        api_key: str = ApiKeyOption,
        api_secret: str = ApiSecretOption,
    ):
        """Drive realistic traffic (orders, UPI/card payments, declines, refunds) through the API.

        Example: paygate simulate --duration 60 --rate 3
        """
        api = connect(api_url, api_key, api_secret)
        rng = random.Random(seed)
        refunds = RefundPlan(api, rng)
        counts = {"payments": 0, "refunds": 0, "errors": 0}
        total = max(1, int(duration * rate))
        started = time.monotonic()
        with typer.progressbar(length=total, label="Simulating traffic", show_pos=True, file=sys.stderr) as bar:
            for n in range(total):
                _sleep_until(started + n / rate)
                _call(counts, lambda: _one_payment(api, rng, n, refund_share, refunds, counts))
                _call(counts, lambda: refunds.step(counts))
                bar.update(1)
        deadline = time.monotonic() + settle_timeout
        while refunds.outstanding() and time.monotonic() < deadline:
            _sleep_until(min(deadline, time.monotonic() + POLL_EVERY_S))
            _call(counts, lambda: refunds.step(counts))
        summary = {**counts, "unsettled": refunds.outstanding(), "seconds": round(time.monotonic() - started)}
        if as_json:
            print_json(summary)
            return
        typer.echo(f"Sent {counts['payments']} payments and {counts['refunds']} refunds ({counts['errors']} errors) in {summary['seconds']}s")
        if summary["unsettled"]:
            typer.echo(f"{summary['unsettled']} payments or refunds had not settled after --settle-timeout {settle_timeout:g}s", err=True)


def _call(counts: dict, step) -> None:
    """One API step; a connection failure ends the run, any other error is counted."""
    try:
        step()
    except ApiError as exc:
        if exc.code == CONNECTION_ERROR:
            fail(exc)
        counts["errors"] += 1


def _one_payment(api, rng, n: int, refund_share: float, refunds: "RefundPlan", counts: dict) -> None:
    order = api.create_order(rng.choice(PRICES), receipt=f"sim-{n}")
    payment = api.create_payment(order["id"], **instrument_for(rng))
    counts["payments"] += 1
    if rng.random() < refund_share:
        refunds.watch_payment(payment["id"])


def _sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class RefundPlan:
    """Payments chosen for a refund, polled until final; their refunds, polled until processed.

    A payment is refunded only once the bank has answered ``success`` (half partially, half in
    full); a failed one is dropped. Each id is polled at most once a second.
    """

    def __init__(self, api, rng: random.Random):
        self.api, self.rng = api, rng
        self.payments: deque[tuple[float, str]] = deque()
        self.refunds: deque[tuple[float, str]] = deque()

    def watch_payment(self, payment_id: str) -> None:
        self.payments.append((time.monotonic() + POLL_EVERY_S, payment_id))

    def outstanding(self) -> int:
        return len(self.payments) + len(self.refunds)

    def step(self, counts: dict) -> None:
        for _ in range(len(self.payments)):
            if self.payments[0][0] > time.monotonic():
                break
            _, payment_id = self.payments.popleft()
            payment = self.api.payment(payment_id)
            if payment["status"] == "pending":
                self.watch_payment(payment_id)
            elif payment["status"] == "success":
                amount = payment["amount"] if self.rng.random() < 0.5 else max(100, payment["amount"] // 4)
                refund = self.api.create_refund(payment_id, amount, "simulated return")
                counts["refunds"] += 1
                self.refunds.append((time.monotonic() + POLL_EVERY_S, refund["id"]))
        for _ in range(len(self.refunds)):
            if self.refunds[0][0] > time.monotonic():
                break
            _, refund_id = self.refunds.popleft()
            if self.api.refund(refund_id)["status"] == "pending":
                self.refunds.append((time.monotonic() + POLL_EVERY_S, refund_id))

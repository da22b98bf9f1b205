"""The bank, behind an interface. :class:`SimulatedBank` is product code: paygate's sandbox.

The bank answers after a delay. That delay is a *due time* stored in the row, never a sleep:
submitting returns the decision and when it becomes visible; a worker settles it at that time.
"""

from __future__ import annotations

import csv
import io
import os
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .instruments import Instrument

DECLINE_CODE = "PAYMENT_FAILED"


@dataclass(frozen=True)
class BankDecision:
    approved: bool
    delay_s: float  # when the answer becomes visible, from now
    decline_code: str | None = None
    decline_description: str | None = None


BANK_FILE_COLUMNS = ("bank_reference", "settlement_id", "transaction_id", "gross", "fee", "net", "currency", "value_date")
LATE_BY_DAYS = 3  # how late the ``late`` fault credits the money


@dataclass(frozen=True)
class PaidLine:
    """One balance transaction a settlement paid, as the bank is told of it."""

    transaction_id: str
    gross: int
    fee: int
    net: int


class Processor(ABC):
    """What paygate needs from a bank or acquirer."""

    @abstractmethod
    def submit_payment(self, instrument: Instrument, amount: int, currency: str) -> BankDecision: ...

    @abstractmethod
    def refund_delay_s(self) -> float: ...

    def submit_settlement(self, amount: int, currency: str) -> BankDecision:
        """Pay ``amount`` out to the merchant's bank: the answer, and when it becomes visible.
        A processor without payouts refuses them (the money stays available)."""
        return BankDecision(False, 0.0, "PAYOUTS_UNSUPPORTED", "This processor does not pay out")

    def report_settlement(self, settlement, lines: list[PaidLine]) -> Path | None:
        """The bank's settlement file for a processed settlement (None: this bank sends none)."""
        return None


class SimulatedBank(Processor):
    """Contract rates and delays: UPI approves 90 %, card 95 %, answers in 5–10 s; refunds 3–5 s.

    ``TEST_MODE`` fixes the delay (``TEST_PROCESSING_DELAY`` ms) and the outcome
    (``TEST_PAYMENT_SUCCESS``). Test instruments (4242… approves, 4000 0000 0000 0002 declines,
    success@paygate / failure@paygate) force their outcome in every mode.
    """

    SUCCESS_RATE = {"upi": 0.90, "card": 0.95}

    def __init__(self, settings, rng: random.Random | None = None):
        self.settings = settings
        self.rng = rng or random.SystemRandom()

    def submit_payment(self, instrument: Instrument, amount: int, currency: str) -> BankDecision:
        s = self.settings
        if s.test_mode:
            delay = s.test_processing_delay_ms / 1000.0
            approved = s.test_payment_success
        else:
            delay = self.rng.uniform(5.0, 10.0)
            approved = self.rng.random() < self.SUCCESS_RATE[instrument.method]
        if instrument.forced_outcome is not None:
            approved = instrument.forced_outcome == "success"
        if approved:
            return BankDecision(True, delay)
        description = "Card declined by the issuing bank" if instrument.method == "card" else "UPI payment declined by the payer's bank"
        return BankDecision(False, delay, DECLINE_CODE, description)

    def refund_delay_s(self) -> float:
        if self.settings.test_mode:
            return self.settings.test_refund_delay_ms / 1000.0
        return self.rng.uniform(3.0, 5.0)

    def submit_settlement(self, amount: int, currency: str) -> BankDecision:
        """Settlements are paid after the refund delay; ``TEST_SETTLEMENT_SUCCESS=false`` makes the
        bank return them (``ACCOUNT_CLOSED``), to exercise the failure path."""
        s = self.settings
        if s.test_mode and not s.test_settlement_success:
            return BankDecision(False, self.refund_delay_s(), "ACCOUNT_CLOSED", "The beneficiary account is closed")
        return BankDecision(True, self.refund_delay_s())

    # --- the settlement file: what an acquirer sends after paying a settlement -----------------

    def report_settlement(self, settlement, lines: list[PaidLine]) -> Path:
        """Write ``<data_dir>/bank/<setl_…>.csv`` (atomically): one row per balance transaction,
        with the bank's reference and the value date. ``TEST_BANK_FILE_FAULTS`` makes the file
        wrong the way real ones are: ``drop_row`` (the first row is missing), ``change_amount``
        (the first row kept is paid one minor unit more), ``extra_row`` (a transaction we never
        sent), ``late`` (credited days after the settlement was processed)."""
        directory = Path(self.settings.data_dir) / "bank"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{settlement.id}.csv"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.settlement_file(settlement, lines), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def settlement_file(self, settlement, lines: list[PaidLine]) -> str:
        faults = set(self.settings.bank_file_faults)
        value_date = settlement.processed_at.date() + timedelta(days=LATE_BY_DAYS if "late" in faults else 0)
        rows = [[line.transaction_id, line.gross, line.fee, line.net] for line in lines]
        if "drop_row" in faults and rows:
            rows.pop(0)
        if "change_amount" in faults and rows:
            rows[0][1] += 1
            rows[0][3] += 1
        if "extra_row" in faults:
            rows.append(["txn_" + "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(16)), 100, 0, 100])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(BANK_FILE_COLUMNS)
        for transaction_id, gross, fee, net in rows:
            writer.writerow([settlement.bank_reference, settlement.id, transaction_id, gross, fee, net, settlement.currency, value_date.isoformat()])
        return out.getvalue()

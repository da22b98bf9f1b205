"""Reconciliation: the bank's settlement file compared with the ledger, every row classified.

The bank's file is an outside record: it is compared, never copied into the ledger. Each of its
rows, and each balance transaction of the settlements it names, ends in exactly one class:

    matched            the row is a transaction the settlement paid, with the same gross, fee,
                       net and currency, credited in time
    amount_mismatch    the transaction is ours and in that settlement, but an amount differs
    late               all equal, but credited more than ``LATE_AFTER_DAYS`` after the
                       settlement was processed
    missing_in_ledger  the row names a transaction (or a settlement) the ledger did not pay in
                       that settlement: unknown, another settlement's, a repeated row, or a
                       settlement the ledger holds as not processed
    missing_in_bank    a transaction the settlement paid that the file does not list

The result is stored (counts, and an item per difference; the merchant's when the file names one
merchant's settlements, so it reads it at ``GET /api/v1/reconciliations``); a clean file has no
differences.
Refuses: a file without the bank's columns, amounts that are not integers, bad dates.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import ids
from .clock import iso, utcnow
from .db import insert_rows
from .errors import InvalidRequest, NotFound
from .ledger import EntryType
from .models import LedgerEntry, Reconciliation, ReconciliationItem, Settlement
from .paging import cursor_page, parse_cursor
from .processor import BANK_FILE_COLUMNS
from .states import SettlementStatus

LATE_AFTER_DAYS = 1
DIFFERENCES_SHOWN = 100


class Difference:
    MATCHED = "matched"
    MISSING_IN_BANK = "missing_in_bank"
    MISSING_IN_LEDGER = "missing_in_ledger"
    AMOUNT_MISMATCH = "amount_mismatch"
    LATE = "late"
    ALL = (MATCHED, MISSING_IN_BANK, MISSING_IN_LEDGER, AMOUNT_MISMATCH, LATE)


@dataclass(frozen=True)
class BankRow:
    bank_reference: str
    settlement_id: str
    transaction_id: str
    gross: int
    fee: int
    net: int
    currency: str
    value_date: date


_INTEGER = re.compile(r"-?[0-9]{1,19}\Z")


def parse_bank_file(text: str) -> list[BankRow]:
    """The rows of a settlement file (see ``processor.BANK_FILE_COLUMNS``); 400-style errors name the line."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in BANK_FILE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidRequest(f"not a settlement file: missing column(s) {', '.join(missing)}", field="file")
    rows = []
    for number, raw in enumerate(reader, start=2):
        amounts = [raw[c] or "" for c in ("gross", "fee", "net")]
        if not all(_INTEGER.match(a.strip()) for a in amounts):
            raise InvalidRequest(f"line {number}: gross, fee and net must be integers of minor units", field="file")
        try:
            value_date = date.fromisoformat((raw["value_date"] or "").strip())
        except ValueError:
            raise InvalidRequest(f"line {number}: value_date must be a date (YYYY-MM-DD)", field="file") from None
        gross, fee, net = (int(a) for a in amounts)
        rows.append(BankRow(raw["bank_reference"] or "", (raw["settlement_id"] or "").strip(), (raw["transaction_id"] or "").strip(), gross, fee, net, (raw["currency"] or "").strip(), value_date))
    return rows


def _classify(row: BankRow, settlement, entry, seen: set) -> tuple[str, str | None]:
    if settlement is None:
        return Difference.MISSING_IN_LEDGER, "no such settlement"
    if settlement.status != SettlementStatus.PROCESSED:
        return Difference.MISSING_IN_LEDGER, f"the settlement is {settlement.status} in the ledger"
    if entry is None:
        return Difference.MISSING_IN_LEDGER, "the settlement did not pay this transaction"
    if row.transaction_id in seen:
        return Difference.MISSING_IN_LEDGER, "repeated row"
    ours = (entry.amount, entry.fee, entry.net, entry.currency)
    theirs = (row.gross, row.fee, row.net, row.currency)
    if ours != theirs:
        return Difference.AMOUNT_MISMATCH, f"ledger gross/fee/net {ours[0]}/{ours[1]}/{ours[2]} {ours[3]}, bank {theirs[0]}/{theirs[1]}/{theirs[2]} {theirs[3]}"
    if row.value_date > settlement.processed_at.date() + timedelta(days=LATE_AFTER_DAYS):
        return Difference.LATE, f"credited {row.value_date.isoformat()}, processed {settlement.processed_at.date().isoformat()}"
    return Difference.MATCHED, None


def reconcile(rows: list[BankRow], file_name: str) -> dict:
    """Classify every row and every transaction of the named settlements; store the result.
    Call inside a transaction."""
    named = sorted({r.settlement_id for r in rows if ids.looks_like("settlement", r.settlement_id)})
    found = {s.id: s for s in Settlement.select().where(Settlement.id.in_(named))} if named else {}
    paid = {}
    if found:
        query = LedgerEntry.select().where(LedgerEntry.settlement_id.in_(sorted(found)) & (LedgerEntry.type != EntryType.SETTLEMENT))
        paid = {e.id: e for e in query}
    counts = dict.fromkeys(Difference.ALL, 0)
    items: list[dict] = []
    seen: set[str] = set()
    recon_id = ids.new_id("reconciliation")
    for row in rows:
        entry = paid.get(row.transaction_id)
        if entry is not None and entry.settlement_id != row.settlement_id:
            entry = None
        status, detail = _classify(row, found.get(row.settlement_id), entry, seen)
        if entry is not None:
            seen.add(row.transaction_id)
        counts[status] += 1
        if status != Difference.MATCHED:
            items.append(dict(reconciliation=recon_id, status=status, settlement_id=row.settlement_id[:64], transaction_id=row.transaction_id[:64], bank_net=row.net, ledger_net=entry.net if entry else None, detail=detail))
    for entry in paid.values():
        if entry.id not in seen and found[entry.settlement_id].status == SettlementStatus.PROCESSED:
            counts[Difference.MISSING_IN_BANK] += 1
            items.append(dict(reconciliation=recon_id, status=Difference.MISSING_IN_BANK, settlement_id=entry.settlement_id, transaction_id=entry.id, bank_net=None, ledger_net=entry.net, detail="the bank's file does not list this transaction"))
    owners = {s.merchant_id for s in found.values()}
    owner = owners.pop() if len(owners) == 1 else None
    row = Reconciliation.create(id=recon_id, merchant=owner, file_name=file_name[:255], rows=len(rows), created_at=utcnow(), **counts)
    for start in range(0, len(items), 500):
        insert_rows(ReconciliationItem, items[start : start + 500])
    return serialize(row, items[:DIFFERENCES_SHOWN])


def serialize(row, differences: list[dict]) -> dict:
    return {
        "id": row.id,
        "object": "reconciliation",
        "file_name": row.file_name,
        "rows": row.rows,
        "counts": {d: getattr(row, d) for d in Difference.ALL},
        "unmatched": sum(getattr(row, d) for d in Difference.ALL if d != Difference.MATCHED),
        "differences": [{k: d[k] for k in ("status", "settlement_id", "transaction_id", "bank_net", "ledger_net", "detail")} for d in differences],
        "created_at": iso(row.created_at),
    }


def _differences(recon_id: str) -> list[dict]:
    items = ReconciliationItem.select().where(ReconciliationItem.reconciliation == recon_id).order_by(ReconciliationItem.id).limit(DIFFERENCES_SHOWN)
    return list(items.dicts())


def latest() -> dict | None:
    """The last reconciliation of any merchant, with its first differences (for the operator)."""
    row = Reconciliation.select().order_by(Reconciliation.created_at.desc(), Reconciliation.id.desc()).first()
    return None if row is None else serialize(row, _differences(row.id))


def list_reconciliations(merchant_id: str, params: dict) -> dict:
    """Reconciliations of the merchant's settlement files, newest first (cursor pages), without
    their differences (``GET /reconciliations/{id}`` has them)."""
    query = Reconciliation.select().where(Reconciliation.merchant == merchant_id)
    return cursor_page(query, Reconciliation, parse_cursor(params), lambda r: serialize(r, []))


def get_reconciliation(recon_id, merchant_id: str) -> dict:
    if not ids.looks_like("reconciliation", recon_id):
        raise NotFound("Reconciliation not found")
    row = Reconciliation.select().where((Reconciliation.id == recon_id) & (Reconciliation.merchant == merchant_id)).first()
    if row is None:
        raise NotFound("Reconciliation not found")
    return serialize(row, _differences(row.id))

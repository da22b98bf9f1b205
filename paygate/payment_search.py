"""Find a payment the way a person remembers it: the filters of ``GET /api/v1/payments``.

One query builder, used by the API list, ``paygate payments list`` and the console (they all go
through the API). Every filter is served by an index (migrations 40, 70 and 81); none scans the merchant's
history:

- ``status``, ``method``, ``from``/``to``: ``(merchant, status, created_at)``, ``(merchant, created_at)``
- ``order_id``: ``(order)``; ``receipt``: the order's ``(merchant, receipt)``, then ``(order)``
- ``vpa`` (exact, case-sensitive): ``(merchant, vpa)`` on SQLite; on PostgreSQL
  ``(merchant, lower(vpa) text_pattern_ops)``, asked for ``lower(vpa)`` and the exact VPA checked
  on the rows found (see ``_exact_vpa``)
- ``card_last4``, ``amount``/``amount_gte``/``amount_lte``: ``(merchant, <column>)``
- ``q``, free text across the receipt, the VPA and the ids. Ids and VPAs by **prefix** on both
  backends: an id is random, nobody remembers the middle of one, and a VPA is remembered from its
  start (``asha`` finds ``asha@okicici``). An id prefix is case-sensitive (ids are mixed case), an
  index range: on PostgreSQL of ``(merchant, id COLLATE "C")`` (migration 81), so the range is a
  byte range whatever the database's locale; on SQLite of the primary key (binary order,
  migration 87), the merchant checked on the rows in the range. A VPA
  prefix is case-insensitive: ``lower(vpa) LIKE lower('q%')`` on PostgreSQL over
  ``(merchant, lower(vpa) text_pattern_ops)`` (migration 81, the index that also serves the exact
  ``vpa`` filter), ``LIKE 'q%'`` over a ``NOCASE`` index on SQLite. The receipt: on PostgreSQL a
  case-insensitive *substring* served by a ``pg_trgm`` GIN index on ``order.receipt`` (the index is
  asked for ``q``'s longer alphanumeric runs, the whole of ``q`` checked on the rows found, see
  ``_substring``), on SQLite a case-insensitive prefix over a ``NOCASE`` index. The receipt's
  trigram index is on the order, written once; trigram indexes on the payment cost every create
  and every settlement (a status change is never a HOT update), which is why migration 81 dropped
  them. An order id is matched whole. An offset page of a ``q`` search
  counts its ``total`` in the page's statement: the matches are all found to be ordered anyway.
  Four digits also match a card's last four, and an amount as people write it (``499``,
  ``1,250.50``, ``₹499.00``: major units, the way the console and receipts show it) matches the
  payment's amount; both exactly, by the ``(merchant, card_last4)`` and ``(merchant, amount)`` indexes.

Refuses (400 naming the parameter) any value it cannot use; unknown parameters are refused before
this, from the OpenAPI document.
"""

from __future__ import annotations

import re

from peewee import SQL, NodeList, Value, fn

from . import ids
from .db import is_postgres
from .errors import InvalidRequest, NotFound
from .instruments import VPA_PATTERN
from .models import Order, Payment
from .money import CURRENCIES, MAX_AMOUNT
from .paging import _int_param, created_between, list_page, parse_choice, parse_search_text
from .payments import METHODS
from .states import PaymentStatus
from . import serialize
FILTERS = ("status", "method", "from", "to", "order_id", "receipt", "vpa", "card_last4", "amount", "amount_gte", "amount_lte", "q")
MAX_Q_CHARS = 64
MAX_RECEIPT_CHARS = 255
CARD_LAST4 = re.compile(r"[0-9]{4}\Z")
# An amount as shown: an optional currency symbol, digits (commas allowed), an optional fraction.
SHOWN_AMOUNT = re.compile(
    "(?:" + "|".join(re.escape(symbol.strip()) for _digits, symbol in CURRENCIES.values()) + r")?\s*([0-9][0-9,]*)(?:\.([0-9]+))?\Z"
)


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _amount(params, name):
    return _int_param(name, params.get(name), None, 0, MAX_AMOUNT)


def _like(column, pattern: str):
    """``column LIKE pattern`` with ``\\`` as the escape character on both backends (SQLite has
    none by default); case-insensitive: ILIKE on PostgreSQL, SQLite's LIKE (ASCII) on a NOCASE index."""
    op = "ILIKE" if is_postgres() else "LIKE"
    return NodeList((column, SQL(op), Value(pattern), SQL("ESCAPE '\\'")))


def _lower_vpa_like(pattern: str):
    """``lower(vpa) LIKE lower(pattern)`` (PostgreSQL): case-insensitive, and a plain LIKE with a
    constant prefix, which the planner turns into a range on the ``text_pattern_ops`` index of
    ``lower(vpa)``. Both sides lowered by the database, so they agree whatever its locale."""
    return NodeList((fn.lower(Payment.vpa), SQL("LIKE"), fn.lower(Value(pattern)), SQL("ESCAPE '\\'")))


def _exact_vpa(vpa: str):
    """``vpa = <vpa>``, exactly (case-sensitive, as stored); on PostgreSQL through the
    ``lower(vpa)`` index (migration 81), the exact comparison checked on the rows it finds."""
    if not is_postgres():
        return Payment.vpa == vpa
    return (fn.lower(Payment.vpa) == fn.lower(Value(vpa))) & (Payment.vpa == vpa)


def _id_prefix(merchant_id: str, q: str):
    """The merchant's ids starting with ``q`` (case-sensitive): a range, ``q <= id < q + U+10FFFF``.
    On PostgreSQL in the "C" collation (byte order, as the index ``(merchant_id, id COLLATE "C")``
    of migration 81 is sorted), so the range is the prefix whatever the database's locale. On
    SQLite a range of the primary key (binary order; migration 87), the merchant checked on the
    rows in it: ``+merchant_id`` is SQLite's way to keep the planner off a merchant index, which
    would read every payment of the merchant. The range holds every merchant's ids with that
    prefix, a 62nd of the table per character typed after ``pay_``."""
    if is_postgres():
        column = NodeList((Payment.id, SQL('COLLATE "C"')))
        return (Payment.merchant == merchant_id) & (column >= q) & (column < q + "\U0010ffff")
    unindexed = NodeList((SQL("+"), Payment.merchant), glue="")
    return (unindexed == merchant_id) & (Payment.id >= q) & (Payment.id < q + "\U0010ffff")


# pg_trgm reads the whole posting list of every trigram of a pattern, and the trigrams of a value's
# structure are in every row: ``INV-00123457`` asks for ``inv`` and the word-boundary trigrams
# `` 00``, ``  0``…, each in all two million receipts (32 ms for one row found, 1,000,000 payments).
# So the index is asked for the pattern's longer alphanumeric runs only (``%00123457%``: 1.4 ms),
# each one a superset of the match, and the whole pattern is checked on the rows they find.
_RUN = re.compile(r"[^\W_]+")


def _substring(column, q: str):
    """``column`` contains ``q`` (any case; PostgreSQL), found through the column's trigram index."""
    whole = _like(column, f"%{_like_prefix(q)}%")
    runs = [run for run in _RUN.findall(q) if len(run) >= 3]
    runs = [run for run in runs if len(run) >= 4] or runs
    if not runs or runs == [q]:
        return whole
    found = None
    for run in runs:
        part = _like(column, f"%{_like_prefix(run)}%")
        found = part if found is None else found & part
    # ``column || ''`` is not the indexed column: the planner checks it on the rows found.
    return found & _like(column.concat(""), f"%{_like_prefix(q)}%")


def _free_text(merchant_id: str, q: str):
    """Payments whose receipt, VPA or id match ``q`` (see the module docstring for how): a UNION of
    index lookups, so each part uses its own index instead of one scan testing an OR."""
    pattern = _like_prefix(q)
    mine = Payment.merchant == merchant_id
    by_id = _id_prefix(merchant_id, q)
    if is_postgres():
        by_vpa, by_receipt = _lower_vpa_like(f"{pattern}%"), _substring(Order.receipt, q)
    else:
        by_vpa, by_receipt = _like(Payment.vpa, f"{pattern}%"), _like(Order.receipt, f"{pattern}%")
    receipts = Order.select(Order.id).where((Order.merchant == merchant_id) & by_receipt)
    found = (
        Payment.select(Payment.id).where(by_id)
        | Payment.select(Payment.id).where(mine & by_vpa)
        | Payment.select(Payment.id).where(mine & Payment.order.in_(receipts))
    )
    if ids.looks_like("order", q):
        found = found | Payment.select(Payment.id).where(mine & (Payment.order == q))
    if CARD_LAST4.match(q):
        found = found | Payment.select(Payment.id).where(mine & (Payment.card_last4 == q))
    for currencies, amount in _shown_amounts(q):
        found = found | Payment.select(Payment.id).where(mine & (Payment.amount == amount) & Payment.currency.in_(currencies))
    return Payment.id.in_(found)


def _shown_amounts(q: str) -> list[tuple[list[str], int]]:
    """``q`` read as an amount in major units, per number of decimals: ``"1,250.5"`` is 125050
    minor units in the two-decimal currencies and nothing in yen. Integer arithmetic only."""
    shown = SHOWN_AMOUNT.match(q.strip())
    if not shown:
        return []
    major, fraction = shown.group(1).replace(",", ""), shown.group(2) or ""
    by_digits: dict[int, list[str]] = {}
    for code, (digits, _symbol) in CURRENCIES.items():
        by_digits.setdefault(digits, []).append(code)
    out = []
    for digits, codes in sorted(by_digits.items()):
        if len(fraction) <= digits:
            amount = int(major) * 10**digits + int(fraction.ljust(digits, "0") or 0)
            if 0 < amount <= MAX_AMOUNT:
                out.append((codes, amount))
    return out


def payment_query(merchant_id: str, params: dict):
    """The merchant's payments matching ``params`` (every filter optional; all of them AND-ed)."""
    query = Payment.select().where(Payment.merchant == merchant_id)
    status = parse_choice("status", params.get("status"), PaymentStatus.ALL)
    if status:
        query = query.where(Payment.status == status)
    method = parse_choice("method", params.get("method"), METHODS)
    if method:
        query = query.where(Payment.method == method)
    query = created_between(query, Payment, params)
    order_id = params.get("order_id")
    if order_id is not None:
        if not ids.looks_like("order", order_id):
            raise InvalidRequest("order_id must be an order id (order_…)", field="order_id")
        query = query.where(Payment.order == order_id)
    receipt = parse_search_text("receipt", params.get("receipt"), MAX_RECEIPT_CHARS)
    if receipt is not None:
        query = query.where(Payment.order.in_(Order.select(Order.id).where((Order.merchant == merchant_id) & (Order.receipt == receipt))))
    vpa = params.get("vpa")
    if vpa is not None:
        if not VPA_PATTERN.match(str(vpa)):
            raise InvalidRequest("vpa must be a VPA such as name@bank", field="vpa")
        query = query.where(_exact_vpa(vpa))
    last4 = params.get("card_last4")
    if last4 is not None:
        if not CARD_LAST4.match(str(last4)):
            raise InvalidRequest("card_last4 must be 4 digits", field="card_last4")
        query = query.where(Payment.card_last4 == last4)
    amount, low, high = _amount(params, "amount"), _amount(params, "amount_gte"), _amount(params, "amount_lte")
    if amount is not None:
        query = query.where(Payment.amount == amount)
    if low is not None:
        query = query.where(Payment.amount >= low)
    if high is not None:
        query = query.where(Payment.amount <= high)
    q = parse_search_text("q", params.get("q"), MAX_Q_CHARS)
    if q is not None:
        query = query.where(_free_text(merchant_id, q))
    return query


def list_payments(merchant_id: str, params: dict) -> dict:
    """``GET /api/v1/payments``: the matching payments, newest first, in the one list shape."""
    mine = Payment.select().where(Payment.merchant == merchant_id)
    # ``q`` collects its matches from several indexes and orders them: count them on the way.
    searching = params.get("q") is not None
    return list_page(payment_query(merchant_id, params), Payment, params, serialize.payment, mine, count_with_page=searching)


def list_order_payments(order_id, merchant_id: str, params: dict) -> dict:
    """``GET /api/v1/orders/{id}/payments``: an order's payment attempts (404 when not theirs)."""
    if not ids.looks_like("order", order_id) or not Order.select().where((Order.id == order_id) & (Order.merchant == merchant_id)).exists():
        raise NotFound("Order not found")
    query = Payment.select().where((Payment.merchant == merchant_id) & (Payment.order == order_id))
    return list_page(query, Payment, params, serialize.payment)

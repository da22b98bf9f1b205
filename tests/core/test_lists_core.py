"""Lists and payment search in the core, in-process on a real database of each backend.

Rows are written straight into the tables (many share one ``created_at``, so ties are real), then
read back only through the list functions, and compared with a plain Python filter over the same
rows: every filter returns exactly the matching rows, cursors walk both ways exactly, another
merchant's rows never appear, and every documented filter is served by an index.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import datetime, timedelta

import pytest

from bench.analytics_seed import seed_payments
from paygate import db, ids, merchants, orders, paging, payment_search
from paygate.errors import InvalidRequest, NotFound
from paygate.models import Order, Payment

BASE = datetime(2031, 3, 1, 12, 0, 0)
VPAS = ["kiran@okaxis", "Kiran.Rao@ybl", "asha@okicici", "asha_2@paytm", None]


def _merchant(name):
    row, _ = db.unit_of_work(merchants.create_merchant, name, f"{name}-{uuid.uuid4().hex[:10]}@example.test")
    return row.id


RECEIPTS = ["rcpt_kiran_1", "Rcpt_Asha_2", "x-100%_off", None]


def _seed(merchant_id, n, rng, receipt=lambda i, rng: rng.choice(RECEIPTS), base_amount=100):
    """``n`` payments over ``n // 2`` orders; created_at repeats (ties), fields vary."""
    order_rows, payment_rows = [], []
    for i in range(n // 2):
        order_rows.append(
            {"id": ids.new_order_id(), "merchant": merchant_id, "amount": base_amount + 50 * (i % 7), "currency": "INR", "receipt": receipt(i, rng), "notes": "{}",
             "status": "created", "created_at": BASE + timedelta(seconds=i % 9)}
        )  # fmt: skip
    for i in range(n):
        order = order_rows[i % len(order_rows)]
        vpa = rng.choice(VPAS)
        payment_rows.append(
            {"id": ids.new_payment_id(), "order": order["id"], "merchant": merchant_id, "amount": order["amount"], "currency": "INR",
             "method": "upi" if vpa else "card", "vpa": vpa, "card_network": None if vpa else "visa", "card_last4": None if vpa else rng.choice(["4242", "0002", "1881"]),
             "status": rng.choice(["pending", "success", "failed", "refunded"]), "bank_outcome": "success", "due_at": BASE,
             "created_at": BASE + timedelta(seconds=rng.randrange(12), microseconds=rng.choice([0, 0, 250000]))}
        )  # fmt: skip

    def write():
        Order.insert_many(order_rows).execute()
        Payment.insert_many(payment_rows).execute()

    db.unit_of_work(write)
    receipts = {o["id"]: o["receipt"] for o in order_rows}
    return [{**p, "receipt": receipts[p["order"]]} for p in payment_rows]


@pytest.fixture(scope="module")
def shop(core_db):
    rng = random.Random(22)
    mine, theirs = _merchant("lists-a"), _merchant("lists-b")
    rows = _seed(mine, 80, rng)
    _seed(theirs, 30, rng)  # same receipts, VPAs and amounts: must never appear
    return mine, rows


def _newest_first(rows):
    return [r["id"] for r in sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)]


def _walk(merchant_id, params, limit=7):
    """Every page by starting_after; returns (ids in order, pages)."""
    seen, pages, cursor = [], [], {}
    while True:
        page = db.read(payment_search.list_payments, merchant_id, {**params, **cursor, "limit": str(limit)})
        pages.append([p["id"] for p in page["data"]])
        seen += pages[-1]
        assert "total" not in page or not cursor  # a cursor page counts nothing unless asked
        if not page["has_more"]:
            return seen, pages
        cursor = {"starting_after": seen[-1]}
        assert len(pages) < 100


def _prefix(value, q):
    return value is not None and value.lower().startswith(q.lower())


def _contains(value, q):
    return value is not None and q.lower() in value.lower()


def _q_match(backend, q):
    """Receipts by substring on PostgreSQL (prefix on SQLite); VPAs by prefix, any case, and ids by
    prefix, exactly, on both; an order id whole."""
    receipt = _contains if backend == "postgres" else _prefix
    return lambda r: receipt(r["receipt"], q) or _prefix(r["vpa"], q) or r["id"].startswith(q) or r["order"] == q


def _cases(rows, backend):
    order_id = rows[5]["order"]
    low, high = 200, 300
    t1, t2 = BASE + timedelta(seconds=3), BASE + timedelta(seconds=7)
    return [
        ({}, lambda r: True),
        ({"status": "success"}, lambda r: r["status"] == "success"),
        ({"method": "card"}, lambda r: r["method"] == "card"),
        ({"from": "2031-03-01T12:00:03Z", "to": "2031-03-01T12:00:07Z"}, lambda r: t1 <= r["created_at"] <= t2),
        ({"order_id": order_id}, lambda r: r["order"] == order_id),
        ({"receipt": "rcpt_kiran_1"}, lambda r: r["receipt"] == "rcpt_kiran_1"),
        ({"receipt": "x-100%_off"}, lambda r: r["receipt"] == "x-100%_off"),
        ({"vpa": "asha@okicici"}, lambda r: r["vpa"] == "asha@okicici"),
        ({"vpa": "Kiran.Rao@ybl"}, lambda r: r["vpa"] == "Kiran.Rao@ybl"),
        ({"vpa": "kiran.rao@ybl"}, lambda r: False),  # exact: the VPA as stored, its case too
        ({"card_last4": "4242"}, lambda r: r["card_last4"] == "4242"),
        ({"amount": "250"}, lambda r: r["amount"] == 250),
        ({"amount_gte": str(low), "amount_lte": str(high)}, lambda r: low <= r["amount"] <= high),
        ({"amount_gte": str(low), "status": "failed", "method": "upi"}, lambda r: r["amount"] >= low and r["status"] == "failed" and r["method"] == "upi"),
        ({"q": "kiran"}, _q_match(backend, "kiran")),
        ({"q": "RCPT_ASHA"}, _q_match(backend, "RCPT_ASHA")),
        ({"q": "asha_"}, _q_match(backend, "asha_")),  # _ and % are literal, not wildcards
        ({"q": "x-100%"}, _q_match(backend, "x-100%")),
        ({"q": rows[3]["id"][:9]}, _q_match(backend, rows[3]["id"][:9])),
        ({"q": rows[3]["id"]}, lambda r: r["id"] == rows[3]["id"]),  # a whole id finds its payment
        ({"q": rows[3]["id"][4:12]}, _q_match(backend, rows[3]["id"][4:12])),  # the middle of an id: nothing
        ({"q": "ASHA@OK"}, _q_match(backend, "ASHA@OK")),  # a VPA's start, any case
        ({"q": "okaxis"}, _q_match(backend, "okaxis")),  # the middle of a VPA: nothing
        ({"q": order_id}, _q_match(backend, order_id)),
        # Four digits are also a card's last four; an amount as shown is in major units (₹2.50).
        ({"q": "4242"}, lambda r: _q_match(backend, "4242")(r) or r["card_last4"] == "4242"),
        ({"q": "₹2.50"}, lambda r: r["amount"] == 250),
        ({"q": "3"}, lambda r: _q_match(backend, "3")(r) or r["amount"] == 300),
    ]


def test_each_filter_returns_exactly_the_matching_rows_newest_first(shop, backend):
    mine, rows = shop
    for params, keep in _cases(rows, backend):
        seen, _ = _walk(mine, params)
        assert seen == _newest_first([r for r in rows if keep(r)]), params
    assert _walk(mine, {"q": "kiran"})[0], "the search data must match something"


def test_an_offset_page_counts_exactly_the_matching_rows(shop, backend):
    """``total`` (the seed's shape) is the number of rows the filter matches, at any offset, past
    the last row too; ``q`` counts them in the page's own statement, the other filters apart."""
    mine, rows = shop
    for params, keep in _cases(rows, backend):
        want = _newest_first([r for r in rows if keep(r)])
        for offset in (0, 3, len(want), len(want) + 5):
            page = db.read(payment_search.list_payments, mine, {**params, "limit": "4", "offset": str(offset)})
            assert (page["total"], page["has_more"]) == (len(want), offset + 4 < len(want)), (params, offset)
            assert [p["id"] for p in page["data"]] == want[offset : offset + 4], (params, offset)


def test_ending_before_walks_back_over_exactly_the_same_pages(shop):
    mine, _ = shop
    _, pages = _walk(mine, {}, limit=6)
    back, cursor = [], pages[-1][0]
    while True:
        page = db.read(payment_search.list_payments, mine, {"ending_before": cursor, "limit": "6"})
        back.insert(0, [p["id"] for p in page["data"]])
        if not page["has_more"]:
            break
        cursor = back[0][0]
    assert back == pages[:-1]


def test_offset_paging_keeps_the_seed_shape_and_is_bounded(shop):
    mine, rows = shop
    page = db.read(payment_search.list_payments, mine, {"limit": "5", "offset": "10"})
    assert (page["total"], page["offset"], page["limit"], page["has_more"]) == (len(rows), 10, 5, True)
    assert [p["id"] for p in page["data"]] == _newest_first(rows)[10:15]
    first = db.read(payment_search.list_payments, mine, {})
    assert first["total"] == len(rows) and first["offset"] == 0  # no cursor: what the seed's scripts read
    counted = db.read(payment_search.list_payments, mine, {"starting_after": page["data"][0]["id"], "include[]": "total_count"})
    assert counted["total"] == len(rows) and "offset" not in counted
    for bad in ({"offset": str(paging.MAX_OFFSET + 1)}, {"offset": "0", "starting_after": rows[0]["id"]}, {"starting_after": rows[0]["id"], "ending_before": rows[1]["id"]}, {"include[]": "everything"}):
        with pytest.raises(InvalidRequest):
            db.read(payment_search.list_payments, mine, bad)


def test_a_cursor_must_be_a_row_of_this_merchants_list(shop, core_db):
    mine, rows = shop
    other = _merchant("lists-c")
    theirs = _seed(other, 4, random.Random(1))[0]["id"]
    with pytest.raises(InvalidRequest, match="no such object"):
        db.read(payment_search.list_payments, mine, {"starting_after": theirs})
    assert db.read(payment_search.list_payments, other, {"order_id": rows[0]["order"]})["data"] == []


def test_a_cursor_row_that_left_the_filter_still_marks_its_place(shop):
    mine, rows = shop
    pending = [r for r in rows if r["status"] == "pending"]
    first = db.read(payment_search.list_payments, mine, {"status": "pending", "limit": "3"})
    anchor = first["data"][-1]["id"]
    db.unit_of_work(lambda: Payment.update(status="success").where(Payment.id == anchor).execute())
    try:
        rest, _ = _walk(mine, {"status": "pending", "starting_after": anchor})
    finally:
        db.unit_of_work(lambda: Payment.update(status="pending").where(Payment.id == anchor).execute())
    assert [p["id"] for p in first["data"]] + rest == _newest_first(pending)


@pytest.mark.parametrize("bad", [{"status": "paid"}, {"order_id": "pay_x"}, {"vpa": "no-at-sign"}, {"card_last4": "42"}, {"amount": "1.5"}, {"amount_gte": "-1"}, {"q": ""}, {"q": "x" * 65}, {"q": "a\x00"}])
def test_unusable_filter_values_are_400_naming_the_filter(shop, bad):
    with pytest.raises(InvalidRequest) as raised:
        db.read(payment_search.list_payments, shop[0], bad)
    assert raised.value.field == next(iter(bad))


def test_orders_list_and_an_orders_payments(shop):
    mine, rows = shop
    order_id = rows[5]["order"]
    listed = db.read(orders.list_orders, mine, {"receipt": rows[5]["receipt"] or "none", "limit": "100"})
    assert order_id in [o["id"] for o in listed["data"]] or rows[5]["receipt"] is None
    everything = db.read(orders.list_orders, mine, {"limit": "100"})
    assert everything["total"] == 40 and all(o["merchant_id"] == mine for o in everything["data"])
    theirs = db.read(payment_search.list_order_payments, order_id, mine, {})
    assert [p["id"] for p in theirs["data"]] == _newest_first([r for r in rows if r["order"] == order_id])
    with pytest.raises(NotFound):
        db.read(payment_search.list_order_payments, order_id, _merchant("lists-d"), {})


def _plan(query) -> str:
    sql, args = query.sql()
    cursor = db.database.execute_sql(("EXPLAIN " if db.is_postgres() else "EXPLAIN QUERY PLAN ") + sql, args)
    return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _index_conditions(plan: str) -> str:
    """The parts of a plan where an index bounds the rows read (not a filter applied after)."""
    if db.is_postgres():
        return "\n".join(line for line in plan.splitlines() if "Index Cond" in line)
    return "\n".join(line[line.index("(") :] for line in plan.splitlines() if "SEARCH" in line and "(" in line)


# The column each filter must reach through an index (not a filter over the merchant's history).
SERVED_BY = {"status": ["status"], "method": ["method"], "from": ["created_at"], "to": ["created_at"], "order_id": ["order_id"], "receipt": ["receipt"],
             "vpa": ["vpa"], "card_last4": ["card_last4"], "amount": ["amount"], "amount_gte": ["amount"], "amount_lte": ["amount"], "q": ["id", "vpa", "receipt"]}  # fmt: skip


def test_every_documented_filter_is_served_by_an_index(core_db, backend):
    """With a history the planner can weigh (statistics taken), each documented filter is an index
    condition, not a filter applied while reading every payment of the merchant."""
    from paygate.server import openapi

    documented = {p["name"] for p in openapi.PATHS["/api/v1/payments"]["get"]["parameters"]} - set(paging.LIST_PARAMS)
    assert documented == set(payment_search.FILTERS) == set(SERVED_BY)
    big = _merchant("lists-plan")
    # Values rare in the whole table (other tests' rows share it, and statistics are per column).
    history = _seed(big, 1200, random.Random(7), receipt=lambda i, rng: f"inv-{i:05d}", base_amount=90_000_000)
    sample = history[0]
    # A history large enough that reading all of it through the merchant index is clearly dearer
    # than any filter's own index (close costs made the planner's choice depend on other tests' rows).
    seed_payments(big, 20_000)
    more_orders = [{"id": ids.new_order_id(), "merchant": big, "amount": 100, "currency": "INR", "receipt": f"web-{i:05d}", "notes": "{}", "created_at": BASE} for i in range(6000)]
    db.unit_of_work(lambda: [Order.insert_many(more_orders[i : i + 500]).execute() for i in range(0, len(more_orders), 500)])
    # A search looks for something rare: three payments carry the VPA, last 4 and amount searched.
    rare = [r["id"] for r in history if r["method"] == "card"][:3]
    db.unit_of_work(lambda: Payment.update(vpa="rare.find@okaxis", card_last4="7777", amount=90_000_777).where(Payment.id.in_(rare)).execute())
    values = {"status": "refunded", "method": "card", "from": "2031-03-01T12:00:11Z", "to": "2000-01-01T00:00:00Z", "order_id": sample["order"], "receipt": "inv-00042",
              "vpa": "rare.find@okaxis", "card_last4": "7777", "amount": "90000777", "amount_gte": "90000777", "amount_lte": "100", "q": sample["id"][:10]}  # fmt: skip

    def shaped(name, query):
        """A filter with few values (method, status) or a time window is not selective: its index
        serves the list's order (newest first, one page), so that is the query to plan. A search
        for something rare is planned without the order: its own index is what finds the rows."""
        if name in ("method", "status", "from", "to"):
            return query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(paging.DEFAULT_LIMIT + 1)
        return query

    def plans():
        # Statistics, as autovacuum would take them (and GIN's pending list merged into the index).
        db.database.execute_sql("VACUUM ANALYZE" if backend == "postgres" else "ANALYZE")
        if backend == "postgres":  # a small table reads faster whole: price that out, as on a large one
            db.database.execute_sql("SET enable_seqscan = off")
        try:
            found = {name: _plan(shaped(name, payment_search.payment_query(big, {name: value}))) for name, value in values.items()}
            deep = paging.Cursor(paging.DEFAULT_LIMIT, starting_after=history[600]["id"])
            cursor = _plan(paging.cursor_query(payment_search.payment_query(big, {}), Payment, deep, Payment.select().where(Payment.merchant == big)))
            prefixes = {"vpa": _plan(payment_search.payment_query(big, {"q": "RARE.fi"})), "id": _plan(payment_search.payment_query(big, {"q": sample["id"]}))}
            return found, _plan(payment_search.payment_query(big, {"q": "INV-00042"})), cursor, prefixes
        finally:
            if backend == "postgres":
                db.database.execute_sql("RESET enable_seqscan")

    found, receipt_plan, cursor_plan, prefixes = db.read(plans)
    # A cursor page, its cursor row's time read inside the statement, is an index range from there.
    assert re.search(r"\bmerchant_id\b.*\bcreated_at\b", _index_conditions(cursor_plan)), cursor_plan
    for name, plan in found.items():
        bounded = _index_conditions(plan)
        for column in SERVED_BY[name]:
            assert re.search(rf"\b{column}\b", bounded), f"{name} is not an index condition on {column}:\n{plan}"
    if backend == "sqlite":
        # q's id prefix reads the ids in its range only (migration 87: the primary key), not all the merchant's payments.
        for plan in (found["q"], prefixes["id"]):
            assert "sqlite_autoindex_payment_1 (id>? AND id<?)" in plan, plan
        assert "payment_merchant_id_vpa_nocase (merchant_id=? AND vpa>? AND vpa<?)" in prefixes["vpa"], prefixes["vpa"]
        assert "payment_merchant_id_vpa (merchant_id=? AND vpa=?)" in found["vpa"], found["vpa"]
    else:
        # Ids by prefix (migration 81): a byte range ("C" collation) on (merchant_id, id), a whole id too.
        for plan in (found["q"], prefixes["id"]):
            assert re.search(rf"Index (Only )?Scan using payment_merchant_id_id .*\n.*Index Cond: .*merchant_id = .*\(id >= '{sample['id'][:4]}.*\(id < '{sample['id'][:4]}", plan), plan
        # VPAs by prefix, any case: a range on lower(vpa), the index that serves the exact filter too.
        vpa_cond = "\n".join(line for line in prefixes["vpa"].splitlines() if "Index Cond" in line and "vpa" in line)
        assert re.search(r"lower\(\(vpa\)::text\) ~>=~ 'rare\.fi'::text\) AND \(lower\(\(vpa\)::text\) ~<~ 'rare\.fj'::text", vpa_cond), prefixes["vpa"]
        assert "payment_merchant_id_lower_vpa" in prefixes["vpa"] and "payment_merchant_id_lower_vpa" in found["vpa"], found["vpa"]
        assert re.search(r"Filter: .*\(vpa\)::text = 'rare\.find@okaxis'", found["vpa"]), found["vpa"]  # exact, checked on the rows found
        # The trigram index is asked for the long alphanumeric run only; the whole text is a recheck.
        receipt_cond = "\n".join(line for line in receipt_plan.splitlines() if "Index Cond" in line and "receipt" in line)
        assert "'%00042%'" in receipt_cond and "INV" not in receipt_cond, receipt_plan
        assert re.search(r"Filter: .*receipt.*'%INV-00042%'", receipt_plan), receipt_plan

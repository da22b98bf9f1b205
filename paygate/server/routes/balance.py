"""The merchant's money: its balance, its balance transactions (``ledger.py``) and its
settlements (``settlements.py``) and the reconciliations of their bank files (``reconcile.py``)."""

from __future__ import annotations

from sanic import Blueprint

from ... import ledger, paging, reconcile, settlements
from ..auth import current_merchant
from ..params import query_params
from ..pool import read
from ..responses import json_response

bp = Blueprint("balance", url_prefix="/api/v1")

TRANSACTION_PARAMS = ("type", "source", "settlement_id") + paging.CURSOR_PARAMS


@bp.get("/balance")
async def get_balance(request):
    merchant = await current_merchant(request)
    return json_response(await read(request, ledger.balance, merchant.id))


@bp.get("/balance_transactions")
async def list_balance_transactions(request):
    merchant = await current_merchant(request)
    params = query_params(request, TRANSACTION_PARAMS)
    return json_response(await read(request, ledger.list_balance_transactions, merchant.id, params))


@bp.get("/settlements")
async def list_settlements(request):
    merchant = await current_merchant(request)
    params = query_params(request, ("status",) + paging.CURSOR_PARAMS)
    return json_response(await read(request, settlements.list_settlements, merchant.id, params))


@bp.get("/settlements/<settlement_id:str>")
async def get_settlement(request, settlement_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, settlements.get_settlement, settlement_id, merchant.id))


@bp.get("/reports/balance_transactions.csv")
async def export_balance_transactions(request):
    """Every balance transaction of a window as CSV, streamed: one page of rows is read (on the
    thread pool) and sent at a time, so memory stays flat however many rows there are."""
    merchant = await current_merchant(request)
    window = ledger.parse_report_window(query_params(request, ("from", "to")))  # 400 before any byte is sent
    rows = await read(request, ledger.report_page, merchant.id, window, None)
    response = await request.respond(content_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="balance_transactions.csv"'})
    await response.send(ledger.report_csv(rows, header=True))
    while len(rows) == ledger.REPORT_PAGE:
        rows = await read(request, ledger.report_page, merchant.id, window, ledger.report_key(rows[-1]))
        await response.send(ledger.report_csv(rows))
    await response.eof()


@bp.get("/reconciliations")
async def list_reconciliations(request):
    merchant = await current_merchant(request)
    params = query_params(request, paging.CURSOR_PARAMS)
    return json_response(await read(request, reconcile.list_reconciliations, merchant.id, params))


@bp.get("/reconciliations/<recon_id:str>")
async def get_reconciliation(request, recon_id):
    merchant = await current_merchant(request)
    return json_response(await read(request, reconcile.get_reconciliation, recon_id, merchant.id))

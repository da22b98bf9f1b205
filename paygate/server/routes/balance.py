"""The merchant's money: its balance, its balance transactions (``ledger.py``) and its
settlements (``settlements.py``) and the reconciliations of their bank files (``reconcile.py``)."""

from __future__ import annotations

import asyncio

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
    """Every balance transaction of a window as CSV, streamed: one page of rows is read and
    written as CSV on the thread pool while the page before it is sent, so memory stays flat
    (two pages) however many rows there are, and the database and the socket work at once."""
    merchant = await current_merchant(request)
    window = ledger.parse_report_window(query_params(request, ("from", "to")))  # 400 before any byte is sent
    text, key, more = await read(request, ledger.report_chunk, merchant.id, window, None, True)
    response = await request.respond(content_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="balance_transactions.csv"'})
    while True:
        following = asyncio.ensure_future(read(request, ledger.report_chunk, merchant.id, window, key)) if more else None
        try:
            if text:  # the page after a full last page is empty
                await response.send(text)
        except BaseException:
            if following is not None:  # the client went away: let the page being read finish, unsent
                await asyncio.gather(following, return_exceptions=True)
            raise
        if following is None:
            break
        text, key, more = await following
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

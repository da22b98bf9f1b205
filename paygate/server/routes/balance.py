"""The merchant's money: its balance and its balance transactions (``ledger.py``)."""

from __future__ import annotations

from sanic import Blueprint

from ... import ledger
from ..auth import current_merchant
from ..params import query_params
from ..pool import read
from ..responses import json_response

bp = Blueprint("balance", url_prefix="/api/v1")

TRANSACTION_PARAMS = ("type", "source", "settlement_id", "limit", "starting_after", "ending_before")


@bp.get("/balance")
async def get_balance(request):
    merchant = await current_merchant(request)
    return json_response(await read(request, ledger.balance, merchant.id))


@bp.get("/balance_transactions")
async def list_balance_transactions(request):
    merchant = await current_merchant(request)
    params = query_params(request, TRANSACTION_PARAMS)
    return json_response(await read(request, ledger.list_balance_transactions, merchant.id, params))

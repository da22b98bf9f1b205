"""Fees: the pricing table and the one fee function.

A price is basis points of the gross plus fixed minor units, per payment method. The defaults
live in config (``PAYGATE_FEE_UPI_BPS`` …); a merchant's own price (``paygate merchants
pricing``) overrides them, method by method.

The rule, on integers only: ``fee = min(gross, round_half_up(gross × bps / 10000) + fixed)``,
where ``round_half_up(n / 10000) = (n + 5000) // 10000``. So 1 paisa at 2 % is 0 (0.02 rounds
down), 25 paise at 2 % is 1 (0.5 rounds up), and a fee never exceeds the gross (a ₹1 payment
with a ₹3 fixed fee costs ₹1, not −₹2 to the merchant). Refunds do not return the fee (Stripe
and Razorpay both keep it): a refund moves only its own amount.

Refuses: prices outside 0–10000 bps or a negative fixed fee.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import config
from .clock import utcnow
from .errors import InvalidRequest, NotFound
from .models import Merchant, MerchantPricing

METHODS = ("upi", "card")
MAX_BPS = 10_000


@dataclass(frozen=True)
class Price:
    percent_bps: int
    fixed: int


def fee(gross: int, price: Price) -> int:
    """The fee on ``gross`` minor units at ``price`` (see the module docstring for the rule)."""
    if gross <= 0:
        return 0
    return min(gross, (gross * price.percent_bps + MAX_BPS // 2) // MAX_BPS + price.fixed)


def default_prices(settings=None) -> dict[str, Price]:
    s = settings or config.current()
    return {"upi": Price(s.fee_upi_bps, s.fee_upi_fixed), "card": Price(s.fee_card_bps, s.fee_card_fixed)}


def prices_for(merchant_ids) -> dict[tuple[str, str], Price]:
    """Each (merchant, method)'s price for a batch: the defaults, overridden by one SELECT."""
    defaults = default_prices()
    out = {(m, method): price for m in merchant_ids for method, price in defaults.items()}
    if merchant_ids:
        rows = MerchantPricing.select(MerchantPricing.merchant, MerchantPricing.method, MerchantPricing.percent_bps, MerchantPricing.fixed)
        for merchant_id, method, bps, fixed in rows.where(MerchantPricing.merchant.in_(sorted(merchant_ids))).tuples():
            out[(merchant_id, method)] = Price(bps, fixed)
    return out


def set_price(merchant_id: str, method: str, percent_bps: int, fixed: int) -> Price:
    """Set a merchant's own price for ``method`` (replacing any earlier one). Call in a transaction."""
    if method not in METHODS:
        raise InvalidRequest(f"method must be one of {', '.join(METHODS)}", field="method")
    if isinstance(percent_bps, bool) or not isinstance(percent_bps, int) or not 0 <= percent_bps <= MAX_BPS:
        raise InvalidRequest(f"percent_bps must be an integer between 0 and {MAX_BPS}", field="percent_bps")
    if isinstance(fixed, bool) or not isinstance(fixed, int) or not 0 <= fixed <= 10**12:
        raise InvalidRequest("fixed must be an integer of minor units between 0 and 10^12", field="fixed")
    if not Merchant.select().where(Merchant.id == merchant_id).exists():
        raise NotFound("Merchant not found")
    now = utcnow()
    (
        MerchantPricing.insert(merchant=merchant_id, method=method, percent_bps=percent_bps, fixed=fixed, updated_at=now)
        .on_conflict(conflict_target=[MerchantPricing.merchant, MerchantPricing.method], update={MerchantPricing.percent_bps: percent_bps, MerchantPricing.fixed: fixed, MerchantPricing.updated_at: now})
        .execute()
    )
    return Price(percent_bps, fixed)


def prices_of(merchant_id: str) -> dict[str, Price]:
    """What ``merchant_id`` pays per method now (its own price or the default)."""
    if not Merchant.select().where(Merchant.id == merchant_id).exists():
        raise NotFound("Merchant not found")
    found = prices_for([merchant_id])
    return {method: found[(merchant_id, method)] for method in METHODS}

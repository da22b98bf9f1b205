"""``Client``: one method per API operation, over one kept-alive HTTP session.

Blocking calls (``requests``): a console runs them in thread workers, a script calls them
directly. Ids are sent as one URL path segment each, so no argument can point a call at another
endpoint. Every failure is an :class:`~paygate.client.errors.ApiError`; nothing else escapes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional
from urllib.parse import quote

import requests

from .credentials import Credentials, resolve_credentials
from .errors import CONNECTION_ERROR, ApiError
from .results import Delivery, Event, Health, JobsStatus, Merchant, Order, Page, Payment, Refund, WebhookEndpoint


def _seg(value: str) -> str:
    return quote(value, safe="")


def _present(**params) -> dict:
    return {k: v for k, v in params.items() if v is not None}


class Client:
    """The merchant API. ``Client()`` uses the resolved credentials (see ``credentials.py``)."""

    def __init__(self, credentials: Optional[Credentials] = None, *, timeout: float = 15.0):
        self.creds = credentials or resolve_credentials()
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"X-Api-Key": self.creds.api_key, "X-Api-Secret": self.creds.api_secret})

    @classmethod
    def connect(cls, api_url=None, api_key=None, api_secret=None, *, timeout: float = 15.0) -> "Client":
        return cls(resolve_credentials(api_url, api_key, api_secret), timeout=timeout)

    def request(self, method: str, path: str, *, json=None, params=None, headers=None):
        try:
            r = self.session.request(method, self.creds.api_url + path, json=json, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            raise ApiError(0, CONNECTION_ERROR, f"cannot reach the paygate daemon at {self.creds.api_url}") from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            request_id = err.get("request_id") or r.headers.get("X-Request-Id")
            raise ApiError(r.status_code, err.get("code", "HTTP_ERROR"), err.get("description", f"HTTP {r.status_code}"), request_id)
        return body

    def _get(self, path: str, **params):
        return self.request("GET", path, params=_present(**params))

    def _iterate(self, path: str, params: dict, page_size: int, on_page: Optional[Callable[[dict], None]]) -> Iterator[dict]:
        """Every row of a list, newest first, one page of ``page_size`` at a time by ``starting_after``.

        Exact while rows are added or changed meanwhile: each row that existed when the walk began
        comes once (rows created during it are newer than its first page, so they are not in it).
        ``on_page`` sees each page as it comes (the first carries ``total``, for a progress bar).
        """
        cursor = None
        while True:
            page = self._get(path, **params, limit=page_size, starting_after=cursor)
            if on_page is not None:
                on_page(page)
            yield from page["data"]
            if not page["has_more"] or not page["data"]:
                return
            cursor = page["data"][-1]["id"]

    # --- the daemon ---------------------------------------------------------------------

    def health(self) -> Health:
        return self._get("/health")

    def jobs_status(self) -> JobsStatus:
        """This merchant's own work counts (the test endpoint's counts are every merchant's)."""
        return self._get("/api/v1/merchants/me/jobs")

    # --- orders and payments ------------------------------------------------------------

    def create_order(self, amount: int, *, currency: Optional[str] = None, receipt: Optional[str] = None, notes: Optional[dict] = None) -> Order:
        return self.request("POST", "/api/v1/orders", json=_present(amount=amount, currency=currency, receipt=receipt, notes=notes))

    def order(self, order_id: str) -> Order:
        return self._get(f"/api/v1/orders/{_seg(order_id)}")

    def create_payment(self, order_id: str, *, vpa: Optional[str] = None, card: Optional[dict] = None, idempotency_key: Optional[str] = None) -> Payment:
        """Pay an order by UPI (``vpa``) or card (``card={number, expiry_month, expiry_year, cvv, holder_name}``)."""
        body = {"order_id": order_id, "method": "card", "card": card} if card is not None else {"order_id": order_id, "method": "upi", "vpa": vpa}
        return self.request("POST", "/api/v1/payments", json=body, headers=_idempotency(idempotency_key))

    def payments(self, *, start=None, end=None, limit: int = 10, offset: Optional[int] = None, starting_after=None, ending_before=None, **filters) -> Page[Payment]:
        """One page. ``filters``: status, method, order_id, receipt, vpa, card_last4, amount,
        amount_gte, amount_lte, q (see ``GET /api/v1/payments``); ``start``/``end`` are from/to."""
        cursor = {"starting_after": starting_after, "ending_before": ending_before}
        return self._get("/api/v1/payments", limit=limit, offset=offset, **cursor, **filters, **{"from": start, "to": end})

    def iter_payments(self, *, start=None, end=None, page_size: int = 100, on_page=None, **filters) -> Iterator[Payment]:
        """Every matching payment, newest first, paging by itself: ``for p in api.iter_payments(status="success")``."""
        return self._iterate("/api/v1/payments", _present(**filters, **{"from": start, "to": end}), page_size, on_page)

    def orders(self, *, status=None, receipt=None, start=None, end=None, limit: int = 10, starting_after=None) -> Page[Order]:
        return self._get("/api/v1/orders", status=status, receipt=receipt, limit=limit, starting_after=starting_after, **{"from": start, "to": end})

    def iter_orders(self, *, start=None, end=None, page_size: int = 100, on_page=None, **filters) -> Iterator[Order]:
        return self._iterate("/api/v1/orders", _present(**filters, **{"from": start, "to": end}), page_size, on_page)

    def order_payments(self, order_id: str, *, limit: int = 10, starting_after=None) -> Page[Payment]:
        """An order's payment attempts, newest first ("is this order paid?")."""
        return self._get(f"/api/v1/orders/{_seg(order_id)}/payments", limit=limit, starting_after=starting_after)

    def payment(self, payment_id: str) -> Payment:
        return self._get(f"/api/v1/payments/{_seg(payment_id)}")

    def capture_payment(self, payment_id: str, amount: Optional[int] = None) -> Payment:
        return self.request("POST", f"/api/v1/payments/{_seg(payment_id)}/capture", json=_present(amount=amount))

    # --- refunds ------------------------------------------------------------------------

    def create_refund(self, payment_id: str, amount: int, reason: Optional[str] = None, *, idempotency_key: Optional[str] = None) -> Refund:
        body = _present(amount=amount, reason=reason)
        return self.request("POST", f"/api/v1/payments/{_seg(payment_id)}/refunds", json=body, headers=_idempotency(idempotency_key))

    def refund(self, refund_id: str) -> Refund:
        return self._get(f"/api/v1/refunds/{_seg(refund_id)}")

    def refunds(self, *, payment_id=None, status=None, start=None, end=None, limit: int = 10, offset: Optional[int] = None, starting_after=None) -> Page[Refund]:
        path = f"/api/v1/payments/{_seg(payment_id)}/refunds" if payment_id else "/api/v1/refunds"
        return self._get(path, status=status, limit=limit, offset=offset, starting_after=starting_after, **{"from": start, "to": end})

    def iter_refunds(self, *, payment_id=None, status=None, start=None, end=None, page_size: int = 100, on_page=None) -> Iterator[Refund]:
        path = f"/api/v1/payments/{_seg(payment_id)}/refunds" if payment_id else "/api/v1/refunds"
        return self._iterate(path, _present(status=status, **{"from": start, "to": end}), page_size, on_page)

    # --- webhooks, events, analytics ----------------------------------------------------

    def deliveries(self, *, status=None, event=None, endpoint_id=None, limit: int = 10, offset: Optional[int] = None, starting_after=None) -> Page[Delivery]:
        return self._get("/api/v1/webhooks", status=status, event=event, endpoint_id=endpoint_id, limit=limit, offset=offset, starting_after=starting_after)

    def iter_deliveries(self, *, status=None, event=None, endpoint_id=None, page_size: int = 100, on_page=None) -> Iterator[Delivery]:
        return self._iterate("/api/v1/webhooks", _present(status=status, event=event, endpoint_id=endpoint_id), page_size, on_page)

    def delivery(self, delivery_id: str) -> Delivery:
        return self._get(f"/api/v1/webhooks/{_seg(delivery_id)}")

    def retry_delivery(self, delivery_id: str) -> dict:
        return self.request("POST", f"/api/v1/webhooks/{_seg(delivery_id)}/retry", json={})

    def send_test_webhook(self, data: Optional[dict] = None) -> dict:
        return self.request("POST", "/api/v1/webhooks/test", json=_present(data=data))

    def events(self, *, type=None, after: Optional[str] = None, object_id: Optional[str] = None, limit: int = 50) -> Page[Event]:
        return self._get("/api/v1/events", type=type, after=after, object_id=object_id, limit=limit)

    def analytics(self, window: Optional[str] = None) -> dict:
        return self._get("/api/v1/analytics", window=window)

    # --- webhook endpoints ---------------------------------------------------------------

    def webhook_endpoints(self, *, limit: int = 100, offset: int = 0) -> Page[WebhookEndpoint]:
        return self._get("/api/v1/webhook_endpoints", limit=limit, offset=offset)

    def webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        return self._get(f"/api/v1/webhook_endpoints/{_seg(endpoint_id)}")

    def create_webhook_endpoint(self, url: str, enabled_events: list[str], description: Optional[str] = None) -> WebhookEndpoint:
        """The answer carries the endpoint's ``secret``, shown this once."""
        return self.request("POST", "/api/v1/webhook_endpoints", json=_present(url=url, enabled_events=enabled_events, description=description))

    def update_webhook_endpoint(self, endpoint_id: str, **changes) -> WebhookEndpoint:
        """``changes``: any of ``url``, ``enabled_events``, ``description``, ``status``."""
        return self.request("PATCH", f"/api/v1/webhook_endpoints/{_seg(endpoint_id)}", json=changes)

    def delete_webhook_endpoint(self, endpoint_id: str) -> dict:
        return self.request("DELETE", f"/api/v1/webhook_endpoints/{_seg(endpoint_id)}")

    def rotate_webhook_endpoint_secret(self, endpoint_id: str, expire_previous_in: Optional[int] = None) -> WebhookEndpoint:
        body = _present(expire_previous_in=expire_previous_in)
        return self.request("POST", f"/api/v1/webhook_endpoints/{_seg(endpoint_id)}/rotate_secret", json=body)

    def replay_webhook_endpoint(self, endpoint_id: str, since: str, *, until: Optional[str] = None, status: Optional[str] = None) -> dict:
        """Queue the endpoint's deliveries of [since, until) again; ``since`` is ISO-8601 (see :func:`since_iso`)."""
        body = _present(since=since, until=until, status=status)
        return self.request("POST", f"/api/v1/webhook_endpoints/{_seg(endpoint_id)}/replay", json=body)

    # --- the merchant -------------------------------------------------------------------

    def me(self) -> Merchant:
        return self._get("/api/v1/merchants/me")

    def set_webhook_url(self, url: Optional[str]) -> Merchant:
        return self.request("PUT", "/api/v1/merchants/me", json={"webhook_url": url})

    def webhook_secret(self) -> dict:
        return self._get("/api/v1/merchants/me/webhook-secret")

    def rotate_webhook_secret(self, expire_previous_in: Optional[int] = None) -> dict:
        """The new secret; the old one keeps signing beside it for ``expire_previous_in`` seconds (default a day)."""
        return self.request("POST", "/api/v1/merchants/me/webhook-secret", json=_present(expire_previous_in=expire_previous_in))

    # --- API keys and the audit log -----------------------------------------------------

    def create_api_key(self, name: str, scopes: list[str], *, expires_at: Optional[str] = None) -> dict:
        """The answer carries the key's ``secret``, shown this once."""
        return self.request("POST", "/api/v1/api_keys", json=_present(name=name, scopes=scopes, expires_at=expires_at))

    def api_keys(self, *, limit: int = 100, starting_after: Optional[str] = None) -> dict:
        return self._get("/api/v1/api_keys", limit=limit, starting_after=starting_after)

    def revoke_api_key(self, key_id: str) -> dict:
        return self.request("POST", f"/api/v1/api_keys/{_seg(key_id)}/revoke", json={})

    def rotate_api_key(self, key_id: str, expire_previous_in: Optional[int] = None) -> dict:
        """A new secret (in the answer, shown this once); the old one works ``expire_previous_in`` s more."""
        return self.request("POST", f"/api/v1/api_keys/{_seg(key_id)}/rotate", json=_present(expire_previous_in=expire_previous_in))

    def audit_log(self, *, actor=None, operation=None, object_id=None, start=None, end=None, limit: int = 20, starting_after: Optional[str] = None) -> dict:
        params = dict(actor=actor, operation=operation, object_id=object_id, limit=limit, starting_after=starting_after)
        return self._get("/api/v1/audit_log", **params, **{"from": start, "to": end})

    # --- money: balance, balance transactions ---------------------------------------------

    def balance(self) -> dict:
        """``{available, pending, in_transit}``: lists of ``{amount, currency}``, from the ledger."""
        return self._get("/api/v1/balance")

    def balance_transactions(self, *, type=None, source=None, settlement_id=None, limit: int = 10, starting_after=None, ending_before=None) -> dict:
        """One cursor page ``{object, data, has_more}`` of balance transactions, newest first."""
        return self._get(
            "/api/v1/balance_transactions",
            type=type, source=source, settlement_id=settlement_id, limit=limit, starting_after=starting_after, ending_before=ending_before,
        )

    def settlements(self, *, status=None, limit: int = 10, starting_after=None, ending_before=None) -> dict:
        """One cursor page ``{object, data, has_more}`` of settlements, newest first."""
        return self._get("/api/v1/settlements", status=status, limit=limit, starting_after=starting_after, ending_before=ending_before)

    def settlement(self, settlement_id: str) -> dict:
        """One settlement with ``lines``: the balance transactions it paid."""
        return self._get(f"/api/v1/settlements/{_seg(settlement_id)}")

    def reconciliations(self, *, limit: int = 10, starting_after=None) -> dict:
        """One cursor page of the reconciliations of this merchant's bank files, newest first."""
        return self._get("/api/v1/reconciliations", limit=limit, starting_after=starting_after)

    def reconciliation(self, recon_id: str) -> dict:
        return self._get(f"/api/v1/reconciliations/{_seg(recon_id)}")

    def export_balance_transactions(self, *, start: Optional[str] = None, end: Optional[str] = None) -> Iterator[bytes]:
        """The CSV report of balance transactions created in [start, end), as it streams in."""
        try:
            r = self.session.get(self.creds.api_url + "/api/v1/reports/balance_transactions.csv", params=_present(**{"from": start, "to": end}), stream=True, timeout=self.timeout)
        except requests.RequestException:
            raise ApiError(0, CONNECTION_ERROR, f"cannot reach the paygate daemon at {self.creds.api_url}") from None
        if r.status_code >= 400:
            try:
                err = r.json().get("error", {})
            except ValueError:
                err = {}
            raise ApiError(r.status_code, err.get("code", "HTTP_ERROR"), err.get("description", f"HTTP {r.status_code}"))
        try:
            yield from r.iter_content(chunk_size=64 * 1024)
        except requests.RequestException:
            raise ApiError(0, CONNECTION_ERROR, "the export was cut off; run it again") from None
        finally:
            r.close()


def _idempotency(key: Optional[str]) -> Optional[dict]:
    return {"Idempotency-Key": key} if key else None


_RELATIVE = re.compile(r"(\d+)\s*([smhd])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def since_iso(value: str, now: Optional[datetime] = None) -> str:
    """``2h``/``30m``/``7d``/``90s`` ago, or an ISO-8601 time, as ISO-8601 UTC; ValueError otherwise."""
    now = now or datetime.now(timezone.utc)
    m = _RELATIVE.match(value.strip())
    if m:
        moment = now - timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    else:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("use a duration such as 2h, 30m, 7d, or an ISO-8601 time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

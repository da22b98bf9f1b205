"""The console's view of the merchant API: one method per call it makes, nothing cached.

Built on the CLI's :class:`~paygate.cli.client.ApiClient` (same credential resolution: flags,
environment, config file, then the seeded test merchant). Calls are blocking: the screens run
them in thread workers only, never on the event loop. Timeouts are short so that a daemon that
is down shows up as a banner within a couple of seconds instead of a frozen console.
"""

from __future__ import annotations

from ..cli.client import ApiClient, ApiError, Credentials, resolve_credentials

__all__ = ["ApiError", "ConsoleApi", "Credentials"]

PAYMENT_PAGE = 20


class ConsoleApi:
    def __init__(self, creds: Credentials, timeout: float = 4.0):
        self.creds = creds
        self.client = ApiClient(creds, timeout=timeout)

    @classmethod
    def from_options(cls, api_url=None, api_key=None, api_secret=None) -> "ConsoleApi":
        return cls(resolve_credentials(api_url, api_key, api_secret))

    def health(self) -> dict:
        return self.client.get("/health")

    def jobs_status(self) -> dict:
        """The merchant's own work counts (never the test endpoint's every-merchant counts)."""
        return self.client.get("/api/v1/merchants/me/jobs")

    def me(self) -> dict:
        return self.client.get("/api/v1/merchants/me")

    def analytics(self, window: str) -> dict:
        return self.client.get("/api/v1/analytics", window=window)

    def payments(self, *, offset: int = 0, limit: int = PAYMENT_PAGE, status=None, method=None, start=None, q=None) -> dict:
        return self.client.get("/api/v1/payments", limit=limit, offset=offset, status=status, method=method, q=q, **{"from": start})

    def payment(self, payment_id: str) -> dict:
        return self.client.get(f"/api/v1/payments/{payment_id}")

    def payment_refunds(self, payment_id: str) -> dict:
        return self.client.get(f"/api/v1/payments/{payment_id}/refunds", limit=100)

    def capture(self, payment_id: str) -> dict:
        return self.client.post(f"/api/v1/payments/{payment_id}/capture", json={})

    def refund(self, payment_id: str, amount: int, reason: str | None = None) -> dict:
        body = {"amount": amount, **({"reason": reason} if reason else {})}
        return self.client.post(f"/api/v1/payments/{payment_id}/refunds", json=body)

    def events(self, *, after: str | None = None, limit: int = 50, object_id: str | None = None) -> dict:
        return self.client.get("/api/v1/events", after=after, limit=limit, object_id=object_id)

    def deliveries(self, *, status=None, offset: int = 0, limit: int = 20, endpoint_id: str | None = None) -> dict:
        return self.client.get("/api/v1/webhooks", status=status, offset=offset, limit=limit, endpoint_id=endpoint_id)

    def delivery(self, delivery_id: str) -> dict:
        return self.client.get(f"/api/v1/webhooks/{delivery_id}")

    def retry_delivery(self, delivery_id: str) -> dict:
        return self.client.post(f"/api/v1/webhooks/{delivery_id}/retry", json={})

    def set_webhook_url(self, url: str | None) -> dict:
        return self.client.put("/api/v1/merchants/me", json={"webhook_url": url})

    def webhook_secret(self) -> dict:
        return self.client.get("/api/v1/merchants/me/webhook-secret")

    def rotate_webhook_secret(self) -> dict:
        return self.client.post("/api/v1/merchants/me/webhook-secret", json={})

    def send_test_webhook(self) -> dict:
        return self.client.post("/api/v1/webhooks/test", json={})

    # --- webhook endpoints ---

    def endpoints(self) -> dict:
        return self.client.get("/api/v1/webhook_endpoints", limit=100)

    def create_endpoint(self, body: dict) -> dict:
        return self.client.post("/api/v1/webhook_endpoints", json=body)

    def update_endpoint(self, endpoint_id: str, body: dict) -> dict:
        return self.client.request("PATCH", f"/api/v1/webhook_endpoints/{endpoint_id}", json=body)

    def rotate_endpoint_secret(self, endpoint_id: str) -> dict:
        return self.client.post(f"/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret", json={})

    def replay_endpoint(self, endpoint_id: str, since: str, status: str) -> dict:
        import typer

        from ..cli.endpoints import parse_since

        try:
            since = parse_since(since)
        except typer.BadParameter as exc:
            raise ApiError(400, "BAD_REQUEST_ERROR", f"since: {exc.message}") from None
        return self.client.post(f"/api/v1/webhook_endpoints/{endpoint_id}/replay", json={"since": since, "status": status})

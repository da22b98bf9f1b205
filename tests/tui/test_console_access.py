"""The console's keys and audit screen against a real daemon: keys listed without a secret, a key
revoked only after a confirmation, and the revocation itself in the audit log."""

from __future__ import annotations

from paygate.tui.screens.confirm import ConfirmDialog
from paygate.tui.widgets.audit_table import AuditTable
from paygate.tui.widgets.key_table import KeyTable
from tests.tui.conftest import console, notifications, run, wait_until


def test_keys_listed_revoked_after_confirmation_and_audited(shop):
    api, creds = shop
    made = api.ok("POST", "/api/v1/api_keys", 201, json={"name": "to revoke", "scopes": ["payments:read"]})

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("6")
            await wait_until(pilot, lambda: app.current_mode == "access", what="keys screen")
            screen = app.screen
            table = screen.query_one(KeyTable)
            await wait_until(pilot, lambda: table.row_count == 2, what="both keys listed")
            rendered = " ".join(str(c) for row in range(table.row_count) for c in table.get_row_at(row))
            assert made["secret"] not in rendered and creds.api_secret not in rendered
            table.move_cursor(row=table.get_row_index(made["id"]))
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="revoke confirmation")
            await pilot.press("n")  # declined: nothing changes
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), what="dialog closed")
            assert next(k for k in api.ok("GET", "/api/v1/api_keys")["data"] if k["id"] == made["id"])["status"] == "active"
            await pilot.press("x")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="revoke confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: any("revoked" in n for n in notifications(app)), what="revoked")
            assert next(k for k in api.ok("GET", "/api/v1/api_keys")["data"] if k["id"] == made["id"])["status"] == "revoked"
            audit = screen.query_one(AuditTable)
            await wait_until(pilot, lambda: audit.row_count >= 3 and "revokeApiKey" in [str(audit.get_row_at(0)[3])], what="revocation audited")

    run(scenario())

"""The webhooks screen follows a URL changed elsewhere (the CLI, the API), but never overwrites
what is being typed into the field."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import console, run, wait_until


def test_a_url_set_elsewhere_appears_and_typing_is_left_alone(shop):
    api, creds = shop

    async def scenario():
        app = console(creds)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            field = lambda: app.screen.query_one("#webhook-url", Input)  # noqa: E731
            await wait_until(pilot, lambda: field().value == "", what="webhooks screen")
            api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": "https://shop.example/hooks"})
            await wait_until(pilot, lambda: field().value == "https://shop.example/hooks", what="the new URL shown")

            field().focus()
            field().value = "https://typing.example/"
            api.ok("PUT", "/api/v1/merchants/me", json={"webhook_url": "https://elsewhere.example/hooks"})
            await pilot.pause(2.5)  # more than one refresh
            assert field().value == "https://typing.example/"

    run(scenario())

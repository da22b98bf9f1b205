"""HTTP adapter: Sanic apps for the merchant API (port 8000) and the checkout (port 3001)."""

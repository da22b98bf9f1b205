"""paygate: a self-hosted payment gateway.

The package root is the domain core: it imports only the standard library, peewee and psycopg2.
Transports live in ``paygate.server`` (Sanic), ``paygate.jobs`` (huey), ``paygate.tui`` (Textual)
and ``paygate.cli`` (Typer).
"""

__version__ = "0.1.0"

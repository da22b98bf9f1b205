"""paygate's Python client: the merchant API, one method per operation.

    from paygate.client import Client
    api = Client.connect("http://localhost:8000", "key_test_abc123", "secret_test_xyz789")
    order = api.create_order(50000, receipt="rcpt_1")
    payment = api.create_payment(order["id"], vpa="asha@okicici")

Used by the ops commands (``paygate.cli``) and the console (``paygate.tui``), which share it and
never import each other. Imports ``requests`` and the standard library only: no Typer, no Textual.
"""

from .client import Client, since_iso
from .credentials import ConfigFileError, Credentials, resolve_credentials
from .errors import CONNECTION_ERROR, ApiError

__all__ = ["ApiError", "CONNECTION_ERROR", "Client", "ConfigFileError", "Credentials", "resolve_credentials", "since_iso"]

"""``~/.config/paygate/config.toml``: used when valid; a malformed one stops every client command
with the file and the line, instead of quietly acting as the seeded test merchant."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from paygate.cli import app
from devstack.services import free_port

runner = CliRunner()


@pytest.fixture
def config_file(monkeypatch, tmp_path):
    for name in ("PAYGATE_API_URL", "PAYGATE_API_KEY", "PAYGATE_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    monkeypatch.setattr("paygate.client.credentials.CONFIG_PATH", path)
    return path


MALFORMED = [
    ('api_url = "http://127.0.0.1:1"\napi_key = key_live_without_quotes\n', "line 2"),
    ('api_url = "http://127.0.0.1:1"\n\n[broken\n', "line 3"),
    ('api_key = "key_live_x"\napi_secret = 12345\n', "line 2"),
    ('api_url = ""\n', "line 1"),
]


@pytest.mark.parametrize("text,line", MALFORMED)
@pytest.mark.parametrize("command", [["payments", "list"], ["refunds", "list"], ["webhooks", "list"], ["tui"]])
def test_a_malformed_config_file_stops_the_command_naming_the_file_and_line(config_file, text, line, command):
    config_file.write_text(text)
    result = runner.invoke(app, command)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert str(config_file) in result.stderr and line in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "cannot reach" not in result.stderr  # it never went on with the seeded test merchant


def test_an_unreadable_config_file_names_the_file(config_file):
    config_file.write_bytes(b'api_key = "\xff\xfe"\n')
    result = runner.invoke(app, ["payments", "list"])
    assert result.exit_code == 2 and str(config_file) in result.stderr


def test_a_valid_config_file_is_used(config_file):
    url = f"http://127.0.0.1:{free_port()}"
    config_file.write_text(f'api_url = "{url}"\napi_key = "key_live_x"\napi_secret = "secret_live_y"\n')
    result = runner.invoke(app, ["payments", "list"])
    assert result.exit_code == 6 and url in result.stderr  # the file's URL was the one tried


def test_no_config_file_is_not_an_error(config_file):
    result = runner.invoke(app, ["payments", "list", "--api-url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 6 and "cannot reach the paygate daemon" in result.stderr

"""The README's examples, run exactly as printed against a live daemon, twice in a row.

The code blocks are read out of README.md (never retyped here), so an example that drifts from
the API fails this test. Every block that talks to the daemon runs: the ``bash`` blocks that call
``curl`` (first in bash, then in zsh, the macOS default shell: no word splitting to rely on) and
every ``python`` block that uses the client. The webhook verification snippets (Node and Python)
are run on requests signed the way deliveries are, during a rotation (two signatures). The only change made to the text is the
daemon's address: ``localhost:8000`` becomes this deployment's port. Blocks with placeholder ids
(``pay_H8sK…``) or long-running commands (``./dev serve``, ``docker compose``) are not examples
of this kind and are not run.

Twice in a row matters: a fixed ``Idempotency-Key`` with a new body, or a refund before the
payment's final state, passes once and fails the next time a newcomer pastes it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from devstack.daemon import REPO, clean_env
from paygate import ids, signing

FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def readme_blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall((REPO / "README.md").read_text()) if lang == language]


def curl_blocks() -> list[str]:
    return [block for block in readme_blocks("bash") if "curl" in block and "localhost:8000" in block]


def client_blocks() -> list[str]:
    return [block for block in readme_blocks("python") if "Client" in block]


def verifier_block(language: str) -> str:
    (block,) = [b for b in readme_blocks(language) if "webhook" in b and ("verify" in b.lower())]
    return block


def shell(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed: the README's shell examples are checked in it (./dev test installs it)"
    return path


def run_example(argv: list[str], text: str, deployment, home) -> subprocess.CompletedProcess:
    """Run one example as a newcomer would: a clean environment, no config file of ours."""
    env = {**clean_env(), "HOME": str(home), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    env["PAYGATE_API_URL"] = deployment.base_url  # for the blocks that use Client() with no arguments
    text = text.replace("localhost:8000", deployment.base_url.removeprefix("http://"))
    result = subprocess.run([*argv, text], env=env, cwd=home, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{argv[0]} example failed ({result.returncode}):\n{text}\n--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    return result


def test_the_readme_has_the_examples_this_test_runs():
    assert len(curl_blocks()) >= 1 and len(client_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(curl_blocks())))
def test_curl_example_runs_twice_in_bash_then_zsh(deployment, tmp_path, index):
    block = curl_blocks()[index]
    for argv in ([shell("bash"), "-c"], [shell("zsh"), "-c"]):
        result = run_example(argv, block, deployment, tmp_path)
        if "/api/v1/payments" in block:
            assert '"status":"success"' in result.stdout, result.stdout


@pytest.mark.parametrize("index", range(len(client_blocks())))
def test_python_example_runs_twice(deployment, tmp_path, index):
    block = client_blocks()[index]
    outputs = [run_example([sys.executable, "-c"], block, deployment, tmp_path).stdout for _ in range(2)]
    if "create_refund" in block:
        first, second = (line.split() for line in outputs)
        assert first[0] != second[0] and first[1] == second[1] == "success" and first[3] == "pending", outputs


def test_the_readme_lists_every_field_of_the_card_object():
    from paygate.server.openapi_schemas import SCHEMAS

    text = (REPO / "README.md").read_text()
    paragraph = text[text.index("The `card` object") :].split("\n\n")[0]
    assert all(f"`{name}`" in paragraph for name in SCHEMAS["Card"]["properties"]), paragraph


def signed_during_rotation(old: str, new: str) -> tuple[bytes, dict]:
    body = b'{"id":"evt_AAAAAAAAAAAAAAAA","event":"payment.success","timestamp":1705315870,"data":{"payment":{"id":"pay_x"}}}'
    headers = signing.signature_headers(new, "evt_AAAAAAAAAAAAAAAA", body, int(time.time()), previous=(old,), hex_header=False)
    return body, {k.lower(): v for k, v in headers.items()}  # as Node and most frameworks hand them over


def test_the_node_verification_snippet_accepts_either_secret_and_refuses_a_changed_body(tmp_path):
    old, new = ids.new_webhook_secret(), ids.new_webhook_secret()
    body, headers = signed_during_rotation(old, new)
    cases = [(body, old, True), (body, new, True), (body.replace(b"pay_x", b"pay_y"), new, False), (body, ids.new_webhook_secret(), False)]
    harness = "\nconst cases = " + json.dumps([[b.decode(), headers, s, want] for b, s, want in cases]) + ";\n"
    harness += "for (const [b, h, s, want] of cases) { if (verifyPaygateWebhook(Buffer.from(b), h, s) !== want) { console.log('FAIL', want); process.exit(1); } }\n"
    script = tmp_path / "verify.js"
    script.write_text(verifier_block("javascript") + harness)
    node = shutil.which("node")
    assert node, "node is not installed (./dev test installs it)"
    result = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_python_verification_snippet_accepts_either_secret_and_refuses_a_changed_body(capsys):
    old, new = ids.new_webhook_secret(), ids.new_webhook_secret()
    body, headers = signed_during_rotation(old, new)
    scope: dict = {}
    exec(verifier_block("python"), scope)
    assert scope["handle_webhook"](body, headers, old) == scope["handle_webhook"](body, headers, new) == 200
    assert "payment.success evt_AAAAAAAAAAAAAAAA" in capsys.readouterr().out
    assert scope["handle_webhook"](body.replace(b"pay_x", b"pay_y"), headers, new) == 400

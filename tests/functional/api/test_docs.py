"""docs/API.md: every operation has a curl and a Python example, the Python compiles, and its
signature check agrees with the signer the dispatcher uses."""

from __future__ import annotations

import re
import time
from pathlib import Path

from registry.api import core
from registry.services import delivery

DOC = (Path(__file__).parents[3] / "docs" / "API.md").read_text(encoding="utf-8")


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def test_every_operation_has_curl_and_python_examples():
    sections = re.split(r"\n### ", DOC)
    for op in core.OPERATIONS:
        heading = f"`{op.method} {op.rule}`".replace("<public_id>", "{public_id}").replace(
            "<int:webhook_id>", "{id}"
        )
        section = next(
            (
                s
                for s in sections
                if op.method in s.split("\n", 1)[0]
                and op.rule.replace("<public_id>", "{public_id}").replace("<int:webhook_id>", "{id}")
                in s.split("\n", 1)[0]
            ),
            None,
        )
        assert section is not None, f"no section for {heading}"
        assert "```sh" in section and "curl" in section, heading
        assert "```python" in section, heading
        if op.method != "GET":
            assert f"-X {op.method}" in section, heading


def test_python_examples_compile():
    blocks = _python_blocks()
    assert len(blocks) >= 15
    for block in blocks:
        compile(block, "docs/API.md", "exec")


def test_documented_signature_check_matches_the_signer():
    block = next(b for b in _python_blocks() if "def verify_fairrecruit_signature" in b)
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify_fairrecruit_signature"]
    secret = "whsec_test-secret"
    body = '{"id":"msg_1","type":"recruiter.status_changed","data":{"to":"suspended"}}'
    header = delivery.sign(secret, body)
    assert verify(secret, header, body.encode())
    assert not verify("whsec_other", header, body.encode())
    assert not verify(secret, header, body.replace("suspended", "accredited").encode())
    old = delivery.sign(secret, body, t=int(time.time()) - 3600)
    assert not verify(secret, old, body.encode())
    assert delivery.SIGNATURE_HEADER in DOC

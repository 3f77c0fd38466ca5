"""Contract test: Schemathesis generates requests for every operation from the OpenAPI document and
runs them against the live application (its WSGI interface). No 5xx, and every answer conforms to
the document (status code, content type, headers, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from sqlmodel import Session

from registry.models import Recruiter

EXAMPLES_PER_OPERATION = int(__import__("os").environ.get("API_CONTRACT_EXAMPLES", "12"))


@pytest.fixture
def settings(settings):
    """Generated webhook URLs name hosts in any form the document allows; where they resolve to is the
    registry's check (its own tests), so here every name resolves and local addresses are allowed."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture(autouse=True)
def every_name_resolves(fake_dns):
    from tests.conftest import PUBLIC_TEST_ADDRESS

    fake_dns.default = [PUBLIC_TEST_ADDRESS]


@pytest.fixture
def contract_world(engine, world, client, auth):
    """Make the public ids and webhook id used in the document's examples exist, so generated cases
    reach the real code paths and not only 404s."""
    with Session(engine) as s:
        rec = s.get(Recruiter, world.suspended.id)
        rec.public_id = "RA-7K3Q9"
        s.commit()
    client.put("/api/v1/suppliers", headers=auth, json={"ids": ["RA-7K3Q9", world.accredited.public_id]})
    client.post("/api/v1/webhooks", headers=auth, json={"url": "https://hooks.example.com/fairrecruit"})


def test_every_operation_conforms(app, auth, contract_world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hsettings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=auth)

        try:
            run()
        except Exception as e:  # collect every operation's failure, then report all of them
            failures.append(f"{operation.method.upper()} {operation.path}: {e}")
    assert not failures, "\n\n".join(failures)

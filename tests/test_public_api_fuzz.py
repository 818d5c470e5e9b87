"""The network host's public API (cases/openapi_public.json: the case lookup and
the result verification), fuzzed by schemathesis with all of its checks, as
tests/test_api_fuzz.py does for the search API: no server error, every answer
as documented, invalid input refused, 405 with Allow for undeclared methods.

In-process through the WSGI application against the network's own host, with a
fixed seed and at most 30 examples per operation. The lookup budgets are off
here (the client is always 127.0.0.1), so the checks see the API's own answers;
tests/test_results.py shows the budgets at work."""
from __future__ import annotations

import json

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from cases.public_api import load_openapi
from yimen.wsgi import application

SEED = 20261201
EXAMPLES_PER_OPERATION = 30

schema = schemathesis.openapi.from_dict(load_openapi(), config=SchemathesisConfig.from_dict({
    "seed": SEED,
    "checks": {"enabled": True},
    "phases": {"stateful": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "database": "none"},
}))
schema.app = application


@pytest.fixture(autouse=True)
def _budgets_off(settings):
    settings.CASES_PROGRESS_RATES = {"address": "off", "number": "off"}


def test_the_fuzzed_document_is_the_one_the_network_host_serves(client_at):
    response = client_at(None).get("/api/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content) == load_openapi()


@schema.parametrize()
def test_every_public_api_operation_keeps_its_contract(case):
    case.call_and_validate(base_url="http://localhost")

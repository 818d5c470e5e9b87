"""Every operation of the public API document, fuzzed by schemathesis with all
of its checks: no server error; every answer's status, content type, headers
and body as documented; valid input accepted and invalid input refused; 405
with Allow for a method the document does not declare. The operations come
from the document itself, so one added to it later is fuzzed here too.

In-process through the WSGI application (no server to start), against a real
test point's host, with a fixed seed and a bounded number of examples per
operation, so that a run is repeatable and takes well under a minute.

Rate limits: the fuzzer's client is 127.0.0.1, which the test settings exempt
from the search limits (settings/test.py), so the checks see the API's own
answers; 429 is in the document all the same."""
from __future__ import annotations

import json

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from search.views import load_openapi
from yimen.wsgi import application

SEED = 20260101
EXAMPLES_PER_OPERATION = 40

schema = schemathesis.openapi.from_dict(load_openapi(), config=SchemathesisConfig.from_dict({
    "seed": SEED,
    # Every check schemathesis has; every phase that works one operation at a time.
    "checks": {"enabled": True},
    "phases": {"stateful": {"enabled": False}},
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "database": "none"},
}))
schema.app = application


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker):
    """A fresh county network of test points (tests.conftest.Network, as the
    `network` fixture makes), its guides indexed: the county point. Module
    scope: Hypothesis runs every example of an operation with the same fixture
    values, and one network serves every operation."""
    from tests.conftest import Network

    with django_db_blocker.unblock():
        network = Network()
        network.index()
    return network.county


def test_the_fuzzed_document_is_the_one_the_api_serves(county, client_at):
    response = client_at(county).get("/api/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content) == load_openapi()


@schema.parametrize()
def test_every_api_operation_keeps_its_contract(case, county):
    case.call_and_validate(base_url=f"http://{county.primary_host}")

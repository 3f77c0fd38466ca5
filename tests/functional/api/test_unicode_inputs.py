"""Invisible controls in API input: a 422 problem naming the field and the character, for search,
licence numbers and public ids alike; nothing is looked up or stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import Session

from registry.models import SupplierLink
from tests.functional.api.test_auth import assert_problem

CHARACTERS = ["\u202e", "\x00", "\u200f"]
IDS = ["U+202E", "U+0000", "U+200F"]


def refused(resp, field: str, ch: str) -> None:
    body = assert_problem(resp, 422)
    [error] = [e for e in body["errors"] if e["field"] == field]
    assert error["type"] == "control_character", error
    assert f"invisible control character U+{ord(ch):04X}" in error["message"]


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_search_parameters_with_a_control_are_refused(client, auth, world, ch):
    name = world.accredited.legal_name
    resp = client.get("/api/v1/recruiters", headers=auth, query_string={"q": name[:7] + ch + name[7:]})
    refused(resp, "q", ch)
    number = world.accredited.licence_number
    resp = client.get("/api/v1/recruiters", headers=auth, query_string={"licence_number": number + ch})
    refused(resp, "licence_number", ch)
    # Without the character, the same search finds the recruiter.
    resp = client.get("/api/v1/recruiters", headers=auth, query_string={"q": name})
    assert resp.status_code == 200 and resp.get_json()["items"][0]["public_id"] == world.accredited.public_id


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_bulk_verify_with_a_control_is_refused_naming_the_item(client, auth, world, ch):
    ids = [world.accredited.public_id, world.suspended.public_id[:4] + ch + world.suspended.public_id[4:]]
    resp = client.post("/api/v1/recruiters/verify", headers=auth, json={"ids": ids})
    refused(resp, "ids.1", ch)
    licences = [{"country": "NP", "number": ch + world.accredited.licence_number}]
    resp = client.post("/api/v1/recruiters/verify", headers=auth, json={"licences": licences})
    refused(resp, "licences.0.number", ch)
    # The input is never echoed back with the character in it.
    assert ch not in json.loads(resp.get_data(as_text=True))["detail"]


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_a_supplier_list_with_a_control_is_refused_and_nothing_changes(client, auth, world, engine, ch):
    ids = [world.accredited.public_id, ch + world.applicant.public_id]
    resp = client.put("/api/v1/suppliers", headers=auth, json={"ids": ids})
    refused(resp, "ids.1", ch)
    with Session(engine) as s:
        assert s.scalars(select(SupplierLink)).all() == []

"""The security scans of `make lint`: every reviewed bandit finding carries its reason, and the
dependency audit fails on a vulnerability, accepts a recorded one, and never passes off packages it
could not look up as audited."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_audit():
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "scripts" / "audit_dependencies.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_reviewed_bandit_finding_has_a_reason():
    baseline = json.loads((ROOT / "config" / "bandit-baseline.json").read_text())
    assert baseline["results"]
    for entry in baseline["results"]:
        assert len(entry["reason"]) > 20, entry
        assert (ROOT / entry["filename"]).exists(), entry["filename"]


def report(*deps):
    return {"dependencies": list(deps)}


VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["3.2"]}


def test_a_vulnerability_fails_and_a_recorded_one_passes_with_its_reason():
    audit = load_audit()
    dep = {"name": "flask", "version": "3.1", "vulns": [VULN]}
    verdict = audit.judge(report(dep), {}, required=False)
    assert verdict.failed and "VULNERABLE flask 3.1: PYSEC-2099-1 (fixed in: 3.2)" in verdict.lines
    verdict = audit.judge(report(dep), {"CVE-2099-0001": "only the CLI is affected"}, required=True)
    assert not verdict.failed and "only the CLI is affected" in verdict.lines[0]


def test_packages_not_looked_up_are_never_reported_as_audited():
    audit = load_audit()
    skipped = {"name": "alembic", "skip_reason": "Dependency not found on PyPI and could not be audited"}
    clean = {"name": "flask", "version": "3.1", "vulns": []}
    verdict = audit.judge(report(clean, skipped), {}, required=False)
    assert not verdict.failed and verdict.lines[0].startswith("NOT AUDITED: 1 of 2 packages")
    assert audit.judge(report(clean, skipped), {}, required=True).failed
    assert audit.judge(report(clean), {}, required=True).lines == ["no known vulnerabilities in 1 packages"]


def test_an_ignore_entry_needs_a_reason():
    audit = load_audit()
    assert audit.read_ignores("# comment\n\nGHSA-xxxx  not reachable from our code\n") == {
        "GHSA-xxxx": "not reachable from our code"
    }
    with pytest.raises(ValueError, match="has no reason"):
        audit.read_ignores("GHSA-xxxx\n")
    assert audit.read_ignores((ROOT / "config" / "pip-audit-ignore.txt").read_text()) is not None

"""Audit the installed Python packages for known vulnerabilities (pip-audit), as `make lint` does.

    python scripts/audit_dependencies.py            # audit .venv's packages (the project itself is skipped)

- A known vulnerability fails the audit, unless config/pip-audit-ignore.txt records it (one
  ``ID  reason`` a line; the reason is printed with it on every run).
- pip-audit itself counts a package it could not look up as "skipped" and still exits 0. This script
  does not let that pass for a clean audit: when packages could not be looked up (the vulnerability
  service cannot be reached from here), it says so plainly and names how many. That is a failure when
  FAIRRECRUIT_AUDIT_REQUIRED=1 (set it where the service is reachable), otherwise a warning: a machine
  without access to the service must still be able to run `make lint`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "config" / "pip-audit-ignore.txt"


@dataclass
class Verdict:
    failed: bool
    lines: list[str] = field(default_factory=list)


def read_ignores(text: str) -> dict[str, str]:
    """ID -> reason, from lines ``ID  reason`` (blank lines and # comments skipped); a bare ID is an error."""
    ignores = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{IGNORE_FILE.name} line {n}: {vuln_id} has no reason")
        ignores[vuln_id] = reason.strip()
    return ignores


def judge(report: dict, ignores: dict[str, str], *, required: bool) -> Verdict:
    """Decide on pip-audit's JSON report (``pip-audit -f json``)."""
    deps = report.get("dependencies", [])
    verdict = Verdict(failed=False)
    audited = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d]
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            known = next((i for i in ids if i in ignores), None)
            where = f"{dep['name']} {dep['version']}: {vuln['id']}"
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            if known:
                verdict.lines.append(f"ignored {where} ({known}: {ignores[known]})")
            else:
                verdict.failed = True
                verdict.lines.append(f"VULNERABLE {where} (fixed in: {fixed})")
    if skipped:
        verdict.lines.append(
            f"NOT AUDITED: {len(skipped)} of {len(deps)} packages could not be looked up "
            f"(e.g. {skipped[0]['name']}: {skipped[0]['skip_reason']}); the vulnerability service "
            "cannot be reached from here"
        )
        verdict.failed = verdict.failed or required
    if not verdict.failed and not skipped:
        verdict.lines.append(f"no known vulnerabilities in {len(audited)} packages")
    return verdict


def main() -> int:
    ignores = read_ignores(IGNORE_FILE.read_text() if IGNORE_FILE.exists() else "")
    required = os.environ.get("FAIRRECRUIT_AUDIT_REQUIRED", "") in {"1", "true", "yes"}
    argv = [
        sys.executable,
        "-m",
        "pip_audit",
        "--format",
        "json",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--timeout",
        "15",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        print("pip-audit failed to run:\n" + proc.stderr[-2000:], file=sys.stderr)
        return 1
    verdict = judge(report, ignores, required=required)
    for line in verdict.lines:
        print(f"pip-audit: {line}")
    return 1 if verdict.failed else 0


if __name__ == "__main__":
    sys.exit(main())

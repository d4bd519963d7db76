"""make audit says plainly how much it audited (issue 17)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit"] = audit  # dataclasses look their module up there
_spec.loader.exec_module(audit)  # type: ignore[union-attr]

SKIPPED = "Dependency not found on PyPI and could not be audited: numpy (2.1.0)"


def test_nothing_audited_is_not_reported_as_no_known_vulnerabilities() -> None:
    # Before: "No known vulnerabilities found", exit 0, with every package skipped.
    report = {
        "dependencies": [
            {"name": "numpy", "skip_reason": SKIPPED},
            {"name": "faiss-cpu", "skip_reason": SKIPPED},
        ],
        "fixes": [],
    }
    summary = audit.summarise(report)
    text = "\n".join(summary.lines())
    assert "nothing was audited" in text and "2 of 2" in text
    assert "no known vulnerabilities" not in text
    assert summary.exit_code() == 2


def test_a_partial_audit_names_what_was_skipped() -> None:
    report = {
        "dependencies": [
            {"name": "numpy", "version": "2.1.0", "vulns": []},
            {"name": "faiss-cpu", "skip_reason": SKIPPED},
        ]
    }
    summary = audit.summarise(report)
    text = "\n".join(summary.lines())
    assert "1 of 2 packages could not be checked" in text and "faiss-cpu" in text
    assert summary.exit_code() == 2


def test_a_clean_full_audit_and_an_advisory() -> None:
    clean = audit.summarise({"dependencies": [{"name": "numpy", "version": "2.1.0", "vulns": []}]})
    assert clean.lines() == ["audited 1 of 1 packages: no known vulnerabilities"]
    assert clean.exit_code() == 0
    bad = audit.summarise(
        {
            "dependencies": [
                {"name": "tornado", "version": "6.0", "vulns": [{"id": "GHSA-x", "fix_versions": ["6.5"]}]}
            ]
        }
    )
    assert bad.lines()[0] == "tornado 6.0 GHSA-x fix: 6.5" and bad.exit_code() == 1

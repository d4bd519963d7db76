"""Audit the locked dependencies with pip-audit, and say plainly how much was audited.

    python scripts/audit.py [requirements.lock]

pip-audit prints "No known vulnerabilities found" and exits 0 even when it could
audit none of the packages (PyPI's per-version JSON API unreachable: each package
is then "skipped"). This wrapper reads pip-audit's JSON and prints one of:

* ``audited N of N packages: no known vulnerabilities`` (exit 0);
* each advisory, ``name version id fix-versions`` (exit 1);
* ``NOT AUDITED: K of N packages could not be checked ...`` (exit 2), naming them;
  with K == N, ``nothing was audited``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class AuditSummary:
    """What one pip-audit report says, package by package."""

    audited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> pip-audit's reason
    advisories: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, version, id, fixes

    @property
    def total(self) -> int:
        return len(self.audited) + len(self.skipped)

    def lines(self) -> list[str]:
        out = [
            f"{name} {version} {vid} fix: {fixes or '(none yet)'}"
            for name, version, vid, fixes in self.advisories
        ]
        if self.skipped:
            names = ", ".join(sorted(self.skipped)[:10])
            more = f" and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else ""
            reason = next(iter(self.skipped.values()))
            what = "nothing was audited" if not self.audited else "the audit is incomplete"
            out.append(
                f"NOT AUDITED: {len(self.skipped)} of {self.total} packages could not be "
                f"checked, {what} ({names}{more}; e.g. {reason!r}). Run it again where "
                "pypi.org's JSON API is reachable."
            )
        if not self.advisories and self.audited:
            out.append(
                f"audited {len(self.audited)} of {self.total} packages: "
                + ("no known vulnerabilities" if self.audited else "none")
            )
        return out

    def exit_code(self) -> int:
        if self.advisories:
            return 1
        return 2 if self.skipped or not self.audited else 0


def summarise(report: dict) -> AuditSummary:
    """An AuditSummary of pip-audit's ``--format json`` output."""
    summary = AuditSummary()
    for dependency in report.get("dependencies", []):
        name = str(dependency.get("name", "?"))
        if dependency.get("skip_reason"):
            summary.skipped[name] = str(dependency["skip_reason"])
            continue
        summary.audited.append(name)
        for vuln in dependency.get("vulns") or []:
            summary.advisories.append(
                (
                    name,
                    str(dependency.get("version", "")),
                    str(vuln.get("id", "")),
                    ", ".join(vuln.get("fix_versions") or []),
                )
            )
    return summary


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    lock = Path(args[0]) if args else ROOT / "requirements.lock"
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(lock),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        sys.stderr.write(done.stderr)
        print("error: pip-audit gave no report (see above); nothing was audited", file=sys.stderr)
        return 2
    summary = summarise(report)
    for line in summary.lines():
        print(line)
    return summary.exit_code()


if __name__ == "__main__":
    sys.exit(main())

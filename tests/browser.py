"""Headless Chromium from the system's packages (Debian: ``apt-get install chromium``).

Tests that need it skip, with the reason, on a developer's machine without it;
in CI (``CI`` set) a missing browser fails them instead, since .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["chromium", "dump_dom", "screenshot"]


def chromium() -> str:
    """The browser's path, or skip (fail in CI) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "headless Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; .ci/run installs it, so CI must have it")
    pytest.skip(message)


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    home = cwd / "chromium-home"  # a profile of its own: nothing of the user's is touched
    home.mkdir(exist_ok=True)
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={home}",
        *arguments,
    ]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )


def screenshot(page: Path, png: Path, *, width: int = 1200, height: int = 1500) -> Path:
    """Render ``page`` and save a ``width`` x ``height`` screenshot to ``png``."""
    result = _run([f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri()], png.parent)
    assert png.is_file(), f"Chromium made no screenshot: {result.stderr[-2000:]}"
    return png


def dump_dom(page: Path, cwd: Path) -> str:
    """The page's DOM after its scripts ran, as the browser serialises it."""
    result = _run(["--dump-dom", page.as_uri()], cwd)
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout

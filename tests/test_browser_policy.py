"""The browser tests' rule for a missing chromium: fail (CI must really run them) unless
``VSPHERE_NB_ALLOW_NO_BROWSER=1`` says skipping is acceptable. Needs no browser itself."""

from __future__ import annotations

import browser_helpers
import pytest


def test_missing_chromium_fails_the_browser_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_helpers, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("VSPHERE_NB_ALLOW_NO_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        browser_helpers.require_chromium()


def test_missing_chromium_skips_only_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_helpers, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("VSPHERE_NB_ALLOW_NO_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="VSPHERE_NB_ALLOW_NO_BROWSER=1"):
        browser_helpers.require_chromium()

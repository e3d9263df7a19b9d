"""Binding a server beyond loopback is warned about, once, in the CLI's words."""

import pytest

from optsweep.hosts import public_warning


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
@pytest.mark.parametrize("service", ["mlflow", "dashboard"])
def test_no_warning_on_loopback(host, service):
    assert public_warning(host, service) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "myhost.example.org", "::"])
@pytest.mark.parametrize("service, says", [("mlflow", "your runs"), ("dashboard", "studies")])
def test_warning_when_exposed(host, service, says):
    text = public_warning(host, service)
    assert text is not None and host in text and "127.0.0.1" in text and "\n" not in text
    assert says in text
    assert not text.lower().startswith("warning")  # the CLI adds its own "warning: "

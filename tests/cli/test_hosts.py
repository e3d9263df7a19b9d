"""Serving beyond loopback needs a login or the user's --insecure, in the CLI's words."""

import pytest

from core.errors import UserError
from optsweep.hosts import check_exposure


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
@pytest.mark.parametrize("service", ["mlflow", "dashboard"])
def test_loopback_is_served_as_it_is(host, service):
    assert check_exposure(host, service) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "myhost.example.org", "::"])
@pytest.mark.parametrize(
    "service, says, fix",
    [("mlflow", "your runs", "--auth"), ("dashboard", "studies", "SSH tunnel")],
)
def test_another_host_is_refused_in_one_line_saying_how(host, service, says, fix):
    with pytest.raises(UserError) as e:
        check_exposure(host, service)
    text = str(e.value)
    assert host in text and "127.0.0.1" in text and "\n" not in text
    assert says in text and fix in text and "--insecure" in text


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_a_login_or_insecure_lets_it_through(host):
    assert check_exposure(host, "mlflow", auth=True) is None
    warning = check_exposure(host, "dashboard", insecure=True)
    assert warning is not None and "without a login" in warning and "\n" not in warning
    assert not warning.lower().startswith("warning")  # the CLI adds its own "warning: "

"""The quick start is not an open door: the embedded default with the public test merchant listens
on loopback unless told otherwise, and says so when the test merchant is exposed."""

import pytest

from paygate.config import exposure_warning, load


def test_the_embedded_default_with_the_test_merchant_listens_on_loopback():
    assert load({}).host == "127.0.0.1"


@pytest.mark.parametrize(
    "env,host",
    [
        ({"DATABASE_URL": "postgresql://u@db/x"}, "0.0.0.0"),  # the several-machines recipe: behind a load balancer
        ({"PAYGATE_SEED_TEST_MERCHANT": "false"}, "0.0.0.0"),  # no public credentials to abuse
        ({"PAYGATE_HOST": "0.0.0.0"}, "0.0.0.0"),  # told otherwise (docker)
        ({"PAYGATE_HOST": "10.0.0.5", "DATABASE_URL": "postgresql://u@db/x"}, "10.0.0.5"),
    ],
)
def test_elsewhere_or_when_told_it_listens_where_asked(env, host):
    assert load(env).host == host


def test_a_flag_wins_over_the_default():
    assert load({}, host="0.0.0.0").host == "0.0.0.0"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::"])
def test_an_exposed_test_merchant_is_warned_about(host):
    warning = exposure_warning(load({"PAYGATE_HOST": host}))
    assert warning and host in warning and "PAYGATE_SEED_TEST_MERCHANT=false" in warning


@pytest.mark.parametrize("env", [{}, {"PAYGATE_HOST": "localhost"}, {"PAYGATE_HOST": "::1"}, {"PAYGATE_HOST": "0.0.0.0", "PAYGATE_SEED_TEST_MERCHANT": "false"}])
def test_no_warning_on_loopback_or_without_the_test_merchant(env):
    assert exposure_warning(load(env)) is None


def test_metrics_listen_on_loopback_on_their_own_port():
    s = load({"DATABASE_URL": "postgresql://u@db/x"})  # even where the API listens on every interface
    assert (s.metrics_host, s.metrics_port) == ("127.0.0.1", 9100)
    assert load({"PAYGATE_METRICS_HOST": "10.0.0.5", "PAYGATE_METRICS_PORT": "9200"}).metrics_port == 9200
    with pytest.raises(ValueError, match="PAYGATE_METRICS_PORT"):
        load({"PAYGATE_METRICS_PORT": "8000"})

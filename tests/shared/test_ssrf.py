"""The SSRF policy and its settings: which URLs and addresses may be called."""

import pytest

from shared.config import Config, ConfigError
from shared.ssrf import Policy, Refused


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::",
        "::ffff:10.0.0.1",
        # IPv6 forms that carry an IPv4 address: judged by it as well
        "2002:a00:1::",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",  # 6to4
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "2001:0:5db8:d70e:8000:63bf:80ff:fffe",  # ... 127.0.0.1
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1",
        "64:ff9b:1::a00:1",  # NAT64
        "::a00:1",
        "::7f00:1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_non_public_addresses_are_refused(address):
    with pytest.raises(Refused, match="non-public"):
        Policy().check_address("hooks.example", address)


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "2002:5db8:d70e::1", "::ffff:93.184.215.14"],
)
def test_public_addresses_pass(address):
    Policy().check_address("hooks.example", address)


def test_allow_list_of_names_and_networks():
    policy = Policy(allowed_hosts=("127.0.0.1/32", "10.1.0.0/16", "Hooks.Internal"))
    policy.check_address("anything", "127.0.0.1")
    policy.check_address("anything", "::ffff:10.1.2.3")
    policy.check_address("anything", "2002:a01:203::")  # 6to4 of an allowed network
    policy.check_address("hooks.internal.", "192.168.9.9")
    with pytest.raises(Refused):
        policy.check_address("anything", "10.2.0.1")


def test_url_checks_need_no_network():
    assert Policy().check_url("https://hooks.example/x?y=1") == ("hooks.example", 443)
    assert Policy(allow_http=True).check_url("http://[::1]:8080/") == ("::1", 8080)
    for url in (
        "http://hooks.example/",
        "https://a:b@hooks.example/",
        "https://hooks.example:0x/",
        "javascript:x",
        "https://hooks.example:0/",
        "https://hooks.example:00/",
        "https://hooks.example:65536/",
        "https://hooks.example:99999/",
        "https://[::1]:0/",
        "https://hooks.example/\n",
        "https://bücher.example/",
    ):
        with pytest.raises(Refused):
            Policy().check_url(url)


def test_settings_build_the_policy_and_bad_values_are_reported():
    config = Config.from_env(
        {
            "PAYWAVE_WEBHOOK_ALLOW_HTTP": "true",
            "PAYWAVE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1/32,localhost",
            "PAYWAVE_WEBHOOK_RETRY_SCHEDULE": "0.5, 2,10",
        }
    )
    policy = Policy.from_config(config)
    assert policy.schemes == ("https", "http") and policy.hosts == {"localhost"}
    assert config.webhook_retry_schedule == (0.5, 2.0, 10.0)
    assert Config.from_env({}).webhook_retry_schedule == (
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
        72000,
        86400,
    )
    with pytest.raises(ConfigError) as info:
        Config.from_env(
            {
                "PAYWAVE_WEBHOOK_ALLOWED_HOSTS": "ok.example,not a host",
                "PAYWAVE_WEBHOOK_RETRY_SCHEDULE": "5,x",
                "PAYWAVE_WEBHOOK_READ_TIMEOUT": "0",
                "PAYWAVE_WEBHOOK_DISABLE_AFTER_HOURS": "0",
            }
        )
    for name in ("ALLOWED_HOSTS", "RETRY_SCHEDULE", "READ_TIMEOUT", "DISABLE_AFTER_HOURS"):
        assert f"PAYWAVE_WEBHOOK_{name}" in str(info.value)
    with pytest.raises(ConfigError, match="604800"):
        Config.from_env({"PAYWAVE_WEBHOOK_RETRY_SCHEDULE": "5,700000"})

"""The address guard: which URLs a webhook may go to (host names resolved by a fake DNS)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from ingest_core.settings import Settings
from ingest_core.webhooks import IPNetwork, RefusedDestination, check_destination

DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
    "localhost": ["127.0.0.1", "::1"],
    "intranet.example.com": ["10.1.2.3"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.5"],
    "rebind.example.com": ["169.254.169.254"],
}


def fake_dns(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return DNS[host]
    return [host]


REFUSED = [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://10.0.0.1/hook", "private"),
    ("http://172.16.5.4/hook", "private"),
    ("http://192.168.1.10/hook", "private"),
    ("http://intranet.example.com/hook", "private"),
    ("http://[fd00::1]/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://rebind.example.com/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "private"),  # reserved (Python files 240/4 under private too)
    ("http://0.0.0.0/", "unspecified"),
    ("http://100.64.0.1/", "not public"),  # carrier-grade NAT
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped
    ("http://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
    ("http://[2002:c0a8:0101::1]/", "private"),  # 6to4 of 192.168.1.1
    ("http://mixed.example.com/", "private"),  # one bad address is enough
    ("ftp://hooks.example.com/", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@hooks.example.com/", "credentials"),
    ("http:///nohost", "no host"),
    ("http://unknown.invalid/", "cannot be resolved"),
    ("http://hooks.example.com:99999/", "not valid"),
    ("http://hooks.example.com/" + "a" * 2100, "longer than"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_a_url_that_may_not_receive_webhooks_is_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(RefusedDestination, match=reason):
        check_destination(url, (), fake_dns)


@pytest.mark.parametrize(
    ("url", "address", "pinned"),
    [
        ("https://hooks.example.com/in?x=1", "93.184.216.34", "https://93.184.216.34:443/in?x=1"),
        ("http://hooks.example.com:8080", "93.184.216.34", "http://93.184.216.34:8080/"),
        ("https://v6.example.com/h", "2606:2800:220:1:248:1893:25c8:1946", None),
        ("http://93.184.216.34/h", "93.184.216.34", "http://93.184.216.34:80/h"),
    ],
)
def test_a_public_url_is_accepted_and_pinned_to_the_address_checked(
    url: str, address: str, pinned: str | None
) -> None:
    destination = check_destination(url, (), fake_dns)
    assert str(destination.address) == address
    if pinned:
        assert destination.pinned_url == pinned


def test_the_host_header_keeps_the_name_and_a_port_that_is_not_the_default() -> None:
    assert check_destination("https://hooks.example.com/x", (), fake_dns).host_header == "hooks.example.com"
    assert (
        check_destination("http://hooks.example.com:8080/", (), fake_dns).host_header
        == "hooks.example.com:8080"
    )


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:9000/hook", ["127.0.0.0/8"]),
        ("http://localhost:9000/hook", ["127.0.0.0/8", "::1/128"]),
        ("http://[::ffff:127.0.0.1]/", ["127.0.0.0/8"]),
        ("http://intranet.example.com/", ["10.0.0.0/8"]),
    ],
)
def test_the_operator_may_allow_a_network(url: str, allowed: list[str]) -> None:
    networks: list[IPNetwork] = [ipaddress.ip_network(n) for n in allowed]
    check_destination(url, networks, fake_dns)


def test_allowing_one_network_does_not_allow_another() -> None:
    with pytest.raises(RefusedDestination, match="private"):
        check_destination("http://192.168.1.10/", [ipaddress.ip_network("127.0.0.0/8")], fake_dns)
    with pytest.raises(RefusedDestination, match="loopback"):  # localhost is also ::1
        check_destination("http://localhost/", [ipaddress.ip_network("127.0.0.0/8")], fake_dns)


def test_the_allowed_networks_setting_reads_a_json_list_of_cidrs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_WEBHOOK_ALLOWED_NETWORKS", '["127.0.0.0/8", "fd00::/8"]')
    settings = Settings()
    assert [str(n) for n in settings.webhook_allowed_networks] == ["127.0.0.0/8", "fd00::/8"]
    check_destination("http://127.0.0.1:1/", settings.webhook_allowed_networks, fake_dns)

"""``shared.notifications``: the SMTP channel against a real ``aiosmtpd`` server (plain, STARTTLS with a
login, implicit TLS, each certificate verified), what templates see, and what a payer is told of a failure."""

import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.notifications import Message, mask_email, render
from shared.notifications.smtp import Smtp
from tests.support.smtp import Catcher, bodies, free_port

MESSAGE = Message(
    message_id="<ntf_test@paywave.example>",
    sender="notifications@paywave.example",
    sender_name="Aurora Lamps",
    recipient="jane@example.test",
    reply_to=None,
    subject="Your receipt",
    text="Thank you",
    html="<p>Thank you</p>",
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: ``(cert file, key file)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def server_tls(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The client trusts the test certificate (``ssl.create_default_context`` reads ``SSL_CERT_FILE``)."""
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])


def login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"shop", b"s3cret:/@"))


def test_plain_smtp_delivers_both_bodies_with_the_message_id():
    catcher = Catcher()
    try:
        result = Smtp(catcher.url, 5).send(MESSAGE)
        [message] = catcher.wait(1)
    finally:
        catcher.close()
    assert (result.outcome, result.code, result.text) == ("sent", 250, "2.0.0 Ok: queued as CAUGHT")
    assert (
        message["Message-ID"] == MESSAGE.message_id
        and message["From"] == "Aurora Lamps <notifications@paywave.example>"
    )
    assert [body.strip() for body in bodies(message)] == ["Thank you", "<p>Thank you</p>"]


def test_starttls_then_a_login_whose_password_needs_escaping(server_tls, trusted):
    catcher = Catcher(tls_context=server_tls, require_starttls=True, authenticator=login, auth_required=True)
    try:
        result = Smtp(f"smtp://shop:s3cret%3A%2F%40@127.0.0.1:{catcher.controller.port}", 5).send(MESSAGE)
        catcher.wait(1)
    finally:
        catcher.close()
    assert result.outcome == "sent"


def test_a_password_is_never_sent_to_a_server_without_starttls():
    catcher = Catcher(authenticator=login, auth_require_tls=False)
    try:
        result = Smtp(f"smtp://shop:s3cret@127.0.0.1:{catcher.controller.port}", 5).send(MESSAGE)
    finally:
        catcher.close()
    assert result.outcome == "retry" and result.code is None and "no STARTTLS" in result.text
    assert catcher.offered == []


def test_a_certificate_not_trusted_is_refused(server_tls):
    catcher = Catcher(tls_context=server_tls, require_starttls=True)
    try:
        result = Smtp(catcher.url, 5).send(MESSAGE)
    finally:
        catcher.close()
    assert result.outcome == "retry" and "CERTIFICATE_VERIFY_FAILED" in result.text and catcher.offered == []


def test_smtps_is_tls_from_the_first_byte(server_tls, trusted):
    catcher = Catcher(ssl_context=server_tls)
    try:
        result = Smtp(f"smtps://127.0.0.1:{catcher.controller.port}", 5).send(MESSAGE)
        catcher.wait(1)
    finally:
        catcher.close()
    assert result.outcome == "sent"


def test_nobody_listening_is_retried():
    result = Smtp(f"smtp://127.0.0.1:{free_port()}", 5).send(MESSAGE)
    assert result.outcome == "retry" and result.code is None and "ConnectionRefused" in result.text


def test_amounts_follow_the_currency_exponent_and_the_locale():
    assert render.money_text(1050, "USD", "en") == "$10.50"
    assert render.money_text(1050, "JPY", "en") == "¥1,050"
    assert render.money_text(1050, "KWD", "en") == "KWD1.050"
    assert render.money_text(123456, "EUR", "fr") == "1\u202f234,56\xa0€"
    assert render.money_text(123456, "EUR", "de_CH") == "EUR\xa01'234.56"


@pytest.mark.parametrize(
    "code,told",
    [
        ("insufficient_funds", "the card has insufficient funds"),
        ("expired_card", "the card has expired"),
        ("blocked", "your bank declined the payment"),  # a fraud rule is never named
        ("card_declined", "your bank declined the payment"),
        ("gateway_timeout", "your bank declined the payment"),
        (None, "your bank declined the payment"),
    ],
)
def test_a_failure_is_told_in_words_a_customer_may_read(code, told):
    assert render.reason(code, "en_GB") == told


def test_a_locale_without_templates_of_its_own_gets_english_words_and_its_own_numbers():
    rendered = render.render("payment.succeeded", render.sample("payment.succeeded", "de"), "de", {})
    assert rendered["subject"] == "Your receipt from Sample shop: 10,50\xa0$"


def test_addresses_are_masked():
    assert mask_email("jane.doe@example.com") == "j***@example.com"
    assert mask_email("not an address") == "***"

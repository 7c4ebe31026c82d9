"""The certificate's PAdES signature: validates against the trust root; any change after
signing is reported; check_pdf never raises."""
from __future__ import annotations

import io
import logging
from datetime import date

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from lms.credentials import signing
from lms.credentials.certificates import CertificateContent, certificate_pdf, check_pdf, draw
from tests.credentials.conftest import TODAY, at

CONTENT = CertificateContent("Amara Okafor", "Just Communities Accredited Practitioner", "AP",
                             "JCAP-2026-000123-X", date(2026, 3, 1), date(2028, 2, 29),
                             "https://ap.example.org/verify/JCAP-2026-000123-X")


@pytest.fixture
def signed(app):
    setup = signing.setup(app)
    return signing.sign(draw(CONTENT), setup, CONTENT.credential_id), setup


def test_signature_validates_with_pyhanko_against_the_trust_root(signed):
    pdf, setup = signed
    reader = PdfFileReader(io.BytesIO(pdf))
    [sig] = reader.embedded_signatures
    # (pyHanko's synchronous call needs a thread without an event loop: Playwright's sync API
    # leaves one running in a test worker that ran a browser test before)
    status = signing.outside_event_loop(
        validate_pdf_signature, sig,
        ValidationContext(trust_roots=setup.trust_roots, allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    result = check_pdf(pdf)
    assert result.is_pdf and result.signed and result.signature_valid and result.trusted
    assert not result.modified_after_signing
    assert result.credential_id == "JCAP-2026-000123-X"
    assert "genuine" in result.message


def test_a_flipped_byte_in_the_signed_range_is_reported(signed):
    pdf, _ = signed
    data = bytearray(pdf)
    position = pdf.index(b"/Subject")  # inside the first (signed) byte range
    data[position + 2] ^= 0x01
    result = check_pdf(bytes(data))
    assert result.signed and not result.signature_valid
    assert result.modified_after_signing
    assert "changed" in result.message


def test_an_incremental_update_that_changes_the_text_is_reported(signed):
    pdf, _ = signed
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0]
    from pyhanko.pdf_utils import generic

    stream = generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 300 Td (Mallory Forger) Tj ET")
    ref = writer.add_object(stream)
    page_obj = page.get_object()
    contents = page_obj["/Contents"]
    page_obj["/Contents"] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [contents]), ref])
    writer.update_container(page_obj)
    out = io.BytesIO()
    writer.write(out)
    result = check_pdf(out.getvalue())
    assert result.signed and not result.signature_valid
    assert result.modified_after_signing
    assert "changed" in result.message


def test_a_foreign_signing_key_is_not_trusted(signed, tmp_path):
    pdf, _ = signed
    other = signing.load_setup({}, str(tmp_path))
    result = check_pdf(pdf, trust_roots=other.trust_roots)
    assert result.signed and not result.trusted and not result.signature_valid
    assert not result.modified_after_signing
    assert "not by the Just Communities" in result.message


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj <<",
                                  b"\x00" * 50, b"PK\x03\x04zip"])
def test_check_pdf_never_raises_on_bad_bytes(app, data):
    result = check_pdf(data)
    assert not result.signature_valid and result.message


def test_truncated_and_unsigned_pdfs(signed):
    pdf, _ = signed
    truncated = check_pdf(pdf[: len(pdf) // 2])
    assert not truncated.signature_valid and truncated.message
    unsigned = check_pdf(draw(CONTENT))
    assert unsigned.is_pdf and not unsigned.signed and not unsigned.signature_valid
    assert "no digital signature" in unsigned.message


def test_a_missing_configured_key_refuses_with_one_log_line(app, caplog, tmp_path):
    signing.reset(app)
    app.config["CERT_SIGNING_KEY"] = str(tmp_path / "missing.pem")
    app.config["CERT_SIGNING_CERT"] = str(tmp_path / "missing-cert.pem")
    app.config["CERT_TRUST_ROOTS"] = str(tmp_path / "root.pem")
    try:
        with caplog.at_level("ERROR"):
            for _ in range(3):
                with pytest.raises(signing.SigningUnavailable, match="does not exist"):
                    signing.setup(app)
        lines = [r for r in caplog.records if "signing is unavailable" in r.getMessage()]
        assert len(lines) == 1
    finally:
        signing.reset(app)


def test_an_unreadable_key_refuses(app, tmp_path):
    (tmp_path / "key.pem").write_text("not a key")
    (tmp_path / "cert.pem").write_text("not a cert")
    (tmp_path / "root.pem").write_text("not a root")
    with pytest.raises(signing.SigningUnavailable):
        signing.load_setup({"CERT_SIGNING_KEY": str(tmp_path / "key.pem"),
                            "CERT_SIGNING_CERT": str(tmp_path / "cert.pem"),
                            "CERT_TRUST_ROOTS": str(tmp_path / "root.pem")}, str(tmp_path))


def _pkcs12(folder, password: bytes) -> str:
    """The development signer as a PKCS#12 file protected by `password`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    signing.make_dev_ca(folder)
    key = serialization.load_pem_private_key((folder / signing.DEV_KEY).read_bytes(), None)
    cert = x509.load_pem_x509_certificate((folder / signing.DEV_CERT).read_bytes())
    path = folder / "org.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"org", key, cert, None, serialization.BestAvailableEncryption(password)))
    return str(path)


@pytest.mark.parametrize("broken", ["garbage PEM pair", "PKCS#12 with a wrong passphrase"])
def test_an_unreadable_key_is_one_clear_log_line(app, caplog, tmp_path, broken):
    """Not pyHanko's traceback and then ours: one line, with the reason, however often used."""
    for name in ("key.pem", "cert.pem"):
        (tmp_path / name).write_text("not PEM at all")
    if broken == "garbage PEM pair":
        settings = {"CERT_SIGNING_KEY": str(tmp_path / "key.pem"),
                    "CERT_SIGNING_CERT": str(tmp_path / "cert.pem")}
    else:
        settings = {"CERT_SIGNING_PKCS12": _pkcs12(tmp_path / "org", b"right"),
                    "CERT_SIGNING_PASSWORD": "wrong"}
    signing.reset(app)
    saved = {key: app.config.get(key) for key in (*settings, "CERT_TRUST_ROOTS")}
    app.config.update(settings, CERT_TRUST_ROOTS=str(tmp_path / "cert.pem"))
    try:
        with caplog.at_level("DEBUG"):
            for _ in range(3):
                with pytest.raises(signing.SigningUnavailable, match="could not be read"):
                    signing.setup(app)
        logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(logged) == 1, [r.getMessage() for r in logged]
        [line] = logged
        assert "signing is unavailable" in line.getMessage() and not line.exc_info
        assert "\n" not in line.getMessage()
    finally:
        app.config.update(saved)
        signing.reset(app)


def test_an_organisation_pkcs12_file_signs(app, tmp_path):
    p12 = _pkcs12(tmp_path / "org", b"right")
    setup = signing.load_setup({"CERT_SIGNING_PKCS12": p12, "CERT_SIGNING_PASSWORD": "right",
                                "CERT_TRUST_ROOTS": str(tmp_path / "org" / signing.DEV_ROOT)},
                               str(tmp_path))
    pdf = signing.sign(draw(CONTENT), setup, CONTENT.credential_id)
    assert check_pdf(pdf, trust_roots=setup.trust_roots).signature_valid


def test_an_organisation_pem_pair_signs(app, tmp_path):
    """Using your own certificate: a PEM pair and its root, from configuration."""
    signing.make_dev_ca(tmp_path / "org")
    org = tmp_path / "org"
    setup = signing.load_setup({"CERT_SIGNING_KEY": str(org / signing.DEV_KEY),
                                "CERT_SIGNING_CERT": str(org / signing.DEV_CERT),
                                "CERT_SIGNING_CHAIN": str(org / signing.DEV_ROOT),
                                "CERT_TRUST_ROOTS": str(org / signing.DEV_ROOT)},
                               str(tmp_path))
    pdf = signing.sign(draw(CONTENT), setup, CONTENT.credential_id)
    assert check_pdf(pdf, trust_roots=setup.trust_roots).signature_valid
    assert not check_pdf(pdf).trusted  # not the app's own root


def _page_stream(pdf: bytes) -> bytes:
    """The certificate page's content stream, decompressed."""
    page = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][0].get_object()
    return page["/Contents"].get_object().data


def _page_text(pdf: bytes) -> list[str]:
    """The strings drawn on the certificate's page."""
    import re

    return [s.decode("latin-1").replace("\\(", "(").replace("\\)", ")")
            for s in re.findall(rb"\((.*?)\) Tj", _page_stream(pdf))]


def test_the_certificate_shows_what_the_issue_asks(monkeypatch):
    """Legal name, credential name, ID, issued and valid-until dates, the seal, a QR code of
    the verification URL, and how to verify."""
    import segno

    made = []
    real = segno.make

    def recording_make(content, *args, **kwargs):
        made.append(real(content, *args, **kwargs))
        return made[-1]

    monkeypatch.setattr(segno, "make", recording_make)
    pdf = draw(CONTENT)
    text = _page_text(pdf)
    for expected in ("Amara Okafor", "Just Communities Accredited Practitioner (AP)",
                     "JCAP-2026-000123-X", "1 March 2026", "29 February 2028", "Issued",
                     "Valid until", "Scan to verify"):
        assert expected in text, expected
    assert any("Verify this credential at https://ap.example.org/verify/JCAP-2026-000123-X"
               in line for line in text)
    assert any("digitally signed" in line for line in text)
    seal = "".join(t for t in text if len(t) == 1)  # the seal: lettering around "AP"
    assert "AP" in text and seal.startswith("JUST COMMUNITIES") and "ACCREDITED" in seal
    [code] = made
    assert code.designator and not code.is_micro
    assert segno.make(CONTENT.verify_url, error="m", micro=False, mask=2) == code
    dark = sum(sum(row) for row in code.matrix)
    assert _page_stream(pdf).count(b" re") >= dark  # every dark module is drawn


def test_certificate_pdf_for_a_credential_uses_the_legal_name(holder):
    user, credential = holder(name="Amy", legal_name="Amara Lindqvist Okafor")
    pdf = certificate_pdf(credential, at(TODAY))
    result = check_pdf(pdf)
    assert result.signature_valid
    assert result.credential_id == credential.credential_id
    text = _page_text(pdf)
    assert "Amara Lindqvist Okafor" in text and "Amy" not in text
    assert credential.credential_id in text
    assert any(f"/verify/{credential.credential_id}" in line for line in text)


def test_the_signature_is_pades(signed):
    """PAdES (ETSI.CAdES.detached), not the older adbe.pkcs7 subfilter."""
    pdf, _ = signed
    [sig] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.sig_object["/Type"] == "/Sig"
    assert sig.sig_object.get("/Contents") and sig.sig_object.get("/ByteRange")


def _tsa():
    """A time-stamping authority for tests: its root and a TSA certificate (asn1crypto)."""
    from datetime import UTC, datetime, timedelta

    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .sign(root_key, hashes.SHA256()))
    der = serialization.Encoding.DER
    return (asn1_x509.Certificate.load(root.public_bytes(der)),
            asn1_x509.Certificate.load(cert.public_bytes(der)),
            keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption())))


def test_with_a_tsa_configured_the_signature_carries_a_timestamp(app, monkeypatch):
    """CERT_TSA_URL: the signature gets an RFC 3161 timestamp (PAdES-B-T) from that TSA."""
    import dataclasses

    from pyhanko.sign import timestamps
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    tsa_root, tsa_cert, tsa_key = _tsa()
    asked = []

    def http_time_stamper(url, *args, **kwargs):
        asked.append(url)
        return DummyTimeStamper(tsa_cert, tsa_key)

    monkeypatch.setattr(timestamps, "HTTPTimeStamper", http_time_stamper)
    setup = dataclasses.replace(signing.setup(app), tsa_url="http://tsa.example.org/")
    pdf = signing.sign(draw(CONTENT), setup, CONTENT.credential_id)
    assert asked == ["http://tsa.example.org/"]
    [sig] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = signing.outside_event_loop(
        lambda: validate_pdf_signature(
            sig, ValidationContext(trust_roots=setup.trust_roots, allow_fetching=False),
            ts_validation_context=ValidationContext(trust_roots=[tsa_root],
                                                    allow_fetching=False)))
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    assert check_pdf(pdf).signature_valid

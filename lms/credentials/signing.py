"""The certificate signing key, PAdES signing (pyHanko) and checking a PDF someone holds.

Configuration (environment, read by :class:`lms.config.Config`):

- ``CERT_SIGNING_PKCS12`` (+ ``CERT_SIGNING_PASSWORD``): the organisation's key and
  certificate as one PKCS#12 file; or
- ``CERT_SIGNING_KEY`` + ``CERT_SIGNING_CERT`` (+ ``CERT_SIGNING_PASSWORD``): a PEM pair;
- ``CERT_SIGNING_CHAIN``: PEM intermediates to embed (optional);
- ``CERT_TRUST_ROOTS``: PEM root certificate(s) that a certificate must chain to to be called
  genuine by this site (the organisation's CA). Required with your own key;
- ``CERT_TSA_URL``: an RFC 3161 time-stamping service: signatures get a timestamp (PAdES-B-T);
  with ``CERT_SIGNING_LTV=1`` too, revocation data and a document timestamp are added
  (PAdES-B-LTA; needs network access to the CA's OCSP/CRL).

With none of the key settings, a development CA and a signing certificate are generated into
``instance/signing/`` on first use (never committed). A configured key that is missing or
unreadable is reported with ONE log line and signing refuses (:class:`SigningUnavailable`):
the platform never hands out an unsigned certificate.
"""
from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from lms.credentials.ids import parse_id
from lms.storage import pdf_active_content

log = logging.getLogger(__name__)

DEV_FOLDER = "signing"
DEV_ROOT = "dev-root-ca.pem"
DEV_KEY = "dev-signer-key.pem"
DEV_CERT = "dev-signer.pem"
SIGNATURE_FIELD = "JCAPSignature"
#: Room for the CMS signature without a timestamp (a 2048- or 4096-bit RSA chain of three).
SIGNATURE_BYTES = 16384
#: The document's /Subject, which carries the credential ID inside the signed revision.
SUBJECT_PREFIX = "Just Communities AP credential "
_EXTENSION = "credential_signer"
_lock = threading.Lock()


class SigningUnavailable(RuntimeError):
    """The signing key is missing or unreadable: no certificate can be made."""


@dataclass
class SigningSetup:
    signer: Any                # pyhanko SimpleSigner
    trust_roots: list[Any]     # asn1crypto x509 certificates
    tsa_url: str | None
    ltv: bool
    source: str                # "development CA" or the configured file


# --------------------------------------------------------------------------- development CA


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Just Communities"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_dev_ca(folder: Path, now: datetime | None = None) -> None:
    """A root CA and a signing certificate it issued, as PEM files in `folder` (0600 key).

    The root CA's key is not kept: nothing else is ever issued from it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name("Just Communities AP Development Root CA")
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(_name("Just Communities AP Certificates (development)"))
            .issuer_name(root_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / DEV_ROOT).write_bytes(root.public_bytes(pem))
    (folder / DEV_CERT).write_bytes(cert.public_bytes(pem))
    key_path = folder / DEV_KEY
    fd = os.open(str(key_path) + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.replace(str(key_path) + ".tmp", key_path)


def _make_dev_ca_once(folder: Path) -> None:
    """Generate into a private folder and rename it into place: two processes starting at
    once (test workers, app servers) end up using the same, complete CA."""
    staging = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    make_dev_ca(staging)
    try:
        staging.rename(folder)
    except OSError:  # another process won the race: use theirs
        for child in staging.iterdir():
            child.unlink()
        staging.rmdir()


def _fast(signer: Any) -> Any:
    """The signer with its private key parsed once, not on every signature (pyHanko's
    SimpleSigner re-parses and re-checks an RSA key each time: most of a signature's cost)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class FastSigner(SimpleSigner):
        _pyca_key: Any = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            if self._pyca_key is None:
                self._pyca_key = serialization.load_der_private_key(self.signing_key.dump(),
                                                                    password=None)
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo  # rsassa_pkcs1v15, rsassa_pss, ecdsa, ...
            except ValueError:
                algo = mechanism["algorithm"].native
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            key = self._pyca_key
            if algo == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), hash_algo)
            if algo == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(hash_algo))
            return super().sign_raw(data, digest_algorithm)  # PSS and the rest: pyHanko's

    signer.__class__ = FastSigner
    return signer


# --------------------------------------------------------------------------- loading


def _load_roots(path: str) -> list[Any]:
    from pyhanko.sign.general import load_certs_from_pemder

    roots = list(load_certs_from_pemder([path]))
    if not roots:
        raise ValueError(f"no certificate in {path}")
    return roots


class _PyHankoLoadErrors(logging.Filter):
    """While this thread loads key files, keep pyHanko's own error records (a traceback each)
    out of the log and remember why: the one line that says signing is unavailable says it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.causes: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread:
            return True
        cause = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            detail = str(record.exc_info[1]).strip().splitlines()
            cause += f" ({detail[0]})" if detail else ""
        self.causes.append(cause)
        return False


def _quietly(load: Any, *args: Any, **kwargs: Any) -> Any:
    """pyHanko's SimpleSigner.load/load_pkcs12: None and the reason when it cannot read them."""
    pyhanko_log = logging.getLogger("pyhanko.sign.signers.pdf_cms")
    errors = _PyHankoLoadErrors()
    pyhanko_log.addFilter(errors)
    try:
        signer = load(*args, **kwargs)
    finally:
        pyhanko_log.removeFilter(errors)
    if signer is None:  # pyHanko returns None on a bad file or passphrase
        raise ValueError("the key or certificate could not be read (wrong file or passphrase?)"
                         + (": " + "; ".join(errors.causes) if errors.causes else ""))
    return signer


def load_setup(config: dict[str, Any], instance_path: str) -> SigningSetup:
    """Load (or, with no key configured, generate) the signing key. Raises SigningUnavailable
    with a message that says what is wrong."""
    from pyhanko.sign import signers

    pkcs12 = config.get("CERT_SIGNING_PKCS12") or None
    key_file = config.get("CERT_SIGNING_KEY") or None
    cert_file = config.get("CERT_SIGNING_CERT") or None
    chain = config.get("CERT_SIGNING_CHAIN") or None
    roots_file = config.get("CERT_TRUST_ROOTS") or None
    password = config.get("CERT_SIGNING_PASSWORD") or None
    passphrase = password.encode() if password else None
    tsa_url = config.get("CERT_TSA_URL") or None
    ltv = bool(config.get("CERT_SIGNING_LTV"))
    try:
        if pkcs12 or key_file or cert_file:
            if not roots_file:
                raise ValueError("CERT_TRUST_ROOTS (the organisation's root CA, PEM) is not set")
            if pkcs12:
                source = f"CERT_SIGNING_PKCS12={pkcs12}"
                if not Path(pkcs12).is_file():
                    raise ValueError(f"{pkcs12} does not exist")
                signer = _quietly(signers.SimpleSigner.load_pkcs12, pkcs12,
                                  ca_chain_files=[chain] if chain else None,
                                  passphrase=passphrase)
            else:
                source = f"CERT_SIGNING_KEY={key_file}"
                if not key_file or not cert_file:
                    raise ValueError("set both CERT_SIGNING_KEY and CERT_SIGNING_CERT")
                for path in (key_file, cert_file):
                    if not Path(path).is_file():
                        raise ValueError(f"{path} does not exist")
                signer = _quietly(signers.SimpleSigner.load, key_file, cert_file,
                                  ca_chain_files=[chain] if chain else None,
                                  key_passphrase=passphrase)
            roots = _load_roots(roots_file)
        else:
            folder = Path(config.get("CERT_DEV_DIR") or Path(instance_path) / DEV_FOLDER)
            source = f"development CA in {folder}"
            with _lock:
                if not (folder / DEV_KEY).is_file():
                    _make_dev_ca_once(folder)
            signer = _quietly(signers.SimpleSigner.load, str(folder / DEV_KEY),
                              str(folder / DEV_CERT), ca_chain_files=[str(folder / DEV_ROOT)])
            roots = _load_roots(str(folder / DEV_ROOT))
    except SigningUnavailable:
        raise
    except Exception as err:  # noqa: BLE001 - every failure means "no signing", said once
        raise SigningUnavailable(f"certificate signing is unavailable: {err}") from None
    return SigningSetup(_fast(signer), roots, tsa_url, ltv, source)


def setup(app: Flask | None = None) -> SigningSetup:
    """The app's signing setup, loaded once. A failure is logged once (one line) and then
    raised as SigningUnavailable on every use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get(_EXTENSION)
    if cached is None:
        try:
            cached = load_setup(app.config, app.instance_path)
        except SigningUnavailable as err:
            app.logger.error("%s", err)
            cached = err
        app.extensions[_EXTENSION] = cached
    if isinstance(cached, SigningUnavailable):
        raise cached
    return cached


def reset(app: Flask) -> None:
    """Forget the loaded key (after a rotation, or in tests)."""
    app.extensions.pop(_EXTENSION, None)


# --------------------------------------------------------------------------- signing


def sign(unsigned_pdf: bytes, setup_: SigningSetup, credential_id: str) -> bytes:
    """The PDF with a PAdES signature (B-B; B-T with a TSA; B-LTA with a TSA and LTV)."""
    return outside_event_loop(_sign, unsigned_pdf, setup_, credential_id)  # type: ignore[no-any-return]


def _sign(unsigned_pdf: bytes, setup_: SigningSetup, credential_id: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf))
    timestamper = None
    if setup_.tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(setup_.tsa_url)
    extra: dict[str, Any] = {}
    if setup_.tsa_url and setup_.ltv:
        from pyhanko_certvalidator import ValidationContext

        extra = {"embed_validation_info": True, "use_pades_lta": True,
                 "validation_context": ValidationContext(trust_roots=setup_.trust_roots,
                                                         allow_fetching=True)}
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"Certificate of credential {credential_id}",
        location="Just Communities AP programme", **extra)
    out = io.BytesIO()
    # Without a TSA the signature's size is known: reserving it saves pyHanko a trial signing.
    reserved = None if setup_.tsa_url else SIGNATURE_BYTES
    signers.PdfSigner(meta, signer=setup_.signer, timestamper=timestamper).sign_pdf(
        writer, output=out, bytes_reserved=reserved)
    return out.getvalue()


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class PdfCheck:
    """What a PDF someone holds says about itself, in plain words for a verifier."""

    is_pdf: bool
    signed: bool
    signature_valid: bool   # intact AND chains to this programme's trust root
    trusted: bool
    modified_after_signing: bool
    credential_id: str | None
    message: str


def _credential_id_of(reader: Any, revision: int | None) -> str | None:
    try:
        if revision is not None:
            trailer = reader.get_historical_resolver(revision).trailer_view
        else:
            trailer = reader.trailer
        info = trailer.get("/Info")
        subject = str(info.get_object().get("/Subject", "")) if info is not None else ""
        if not subject.startswith(SUBJECT_PREFIX):
            return None
        parsed = parse_id(subject[len(SUBJECT_PREFIX):])
        return str(parsed) if parsed is not None else None
    except Exception:  # noqa: BLE001 - a missing or odd info dictionary: no ID
        return None


def outside_event_loop(function: Any, *args: Any) -> Any:
    """pyHanko's synchronous API calls asyncio.run(), which fails in a thread that already
    runs an event loop (an async server, Playwright's sync API): run it in a worker thread."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def check_pdf(data: bytes, trust_roots: list[Any] | None = None) -> PdfCheck:
    """Check a PDF's signature against this programme's trust root. Never raises."""
    if trust_roots is None:
        try:
            trust_roots = setup().trust_roots
        except (SigningUnavailable, RuntimeError):  # no key, or no app context
            trust_roots = []
    try:
        return outside_event_loop(_check_pdf, data, trust_roots)
    except Exception:  # noqa: BLE001 - any bytes at all must get an answer
        log.info("certificate check failed on unreadable input", exc_info=True)
        return PdfCheck(True, False, False, False, False, None,
                        "This file could not be read as a PDF certificate.")


def _check_pdf(data: bytes, trust_roots: list[Any] | None) -> PdfCheck:
    if not isinstance(data, bytes | bytearray) or not bytes(data[:1024]).lstrip().startswith(
            b"%PDF-"):
        return PdfCheck(False, False, False, False, False, None,
                        "This file is not a PDF. Upload the certificate PDF you were given.")
    active = pdf_active_content(io.BytesIO(bytes(data)), len(data))
    if active is not None:  # never handed to the PDF reader
        return PdfCheck(True, False, False, False, False, None,
                        f"This PDF carries active content ({active}: a script, an action or an "
                        "attached file). The programme's certificates never do, so it is not "
                        "a genuine certificate; it was not checked further.")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(bytes(data)), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - damaged or truncated
        return PdfCheck(True, False, False, False, False, None,
                        "This PDF is damaged or incomplete, so its signature cannot be "
                        "checked.")
    if not signatures:
        return PdfCheck(True, False, False, False, False, _credential_id_of(reader, None),
                        "This PDF carries no digital signature: it is not a certificate "
                        "issued by the programme, or it was re-saved without its signature.")
    sig = signatures[0]
    credential_id = _credential_id_of(reader, getattr(sig, "signed_revision", None))
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context)
    except Exception:  # noqa: BLE001 - a signature pyHanko cannot even parse
        return PdfCheck(True, True, False, False, True, credential_id,
                        "This PDF's signature is broken: the file was changed after it was "
                        "signed.")
    intact = bool(status.intact and status.valid)
    modified = (not intact or status.coverage != SignatureCoverageLevel.ENTIRE_FILE
                and (status.modification_level is None
                     or status.modification_level > ModificationLevel.LTA_UPDATES))
    trusted = bool(status.trusted)
    valid = intact and trusted and not modified
    if not intact:
        message = ("This PDF was changed after it was signed: its contents no longer match "
                   "the signature. Do not rely on it.")
    elif modified:
        message = ("This PDF was signed by the programme, but was changed afterwards. Do not "
                   "rely on what it shows; check the credential ID instead.")
    elif not trusted:
        message = ("This PDF is signed, but not by the Just Communities AP programme's "
                   "signing certificate. It is not a genuine certificate.")
    else:
        message = ("This is a genuine certificate, signed by the Just Communities AP "
                   "programme and unchanged since it was signed.")
    return PdfCheck(True, True, valid, trusted, modified, credential_id, message)

"""A local RFC 3161 time-stamping authority on loopback, for the demo and the tests.

A throwaway CA and a TSA certificate (extendedKeyUsage critical timeStamping) are generated into a
folder; each ``application/timestamp-query`` POST is answered by ``openssl ts -reply`` with that
certificate. Nothing here is a trusted TSA: it exists so the export path (HTTP, request, response,
token in the bundle, ``openssl ts -verify``) runs for real without leaving the machine.

``python -m evidence_crawler.demo.tsa --dir DIR`` runs it in the foreground and prints its URL.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_QUERY = 64 * 1024
OPENSSL_CONF = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa-ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
other_policies = 1.3.6.1.4.1.4146.2.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def make_ca(folder: Path, name: str = "evidence-crawler local test TSA") -> None:
    """Write ``tsa-ca.pem`` (the root to trust), ``tsa.pem``/``tsa.key`` (the signer) and the config."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    ca_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root (throwaway)")])
    tsa_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    tsa = (x509.CertificateBuilder().subject_name(tsa_name).issuer_name(ca_name).public_key(tsa_key.public_key())
           .serial_number(x509.random_serial_number()).not_valid_before(now)
           .not_valid_after(now + datetime.timedelta(days=3650))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
           .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "tsa-ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(pem))
    key_path = folder / "tsa.key"
    key_path.touch(mode=0o600)
    key_path.write_bytes(tsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    (folder / "tsaserial").write_text("01\n")
    (folder / "openssl.cnf").write_text(OPENSSL_CONF.format(dir=folder))


class LocalTSA:
    """``with LocalTSA(folder) as tsa: tsa.url, tsa.ca_path``; ``port=0`` picks a free port.

    ``fail=True`` makes every answer an HTTP 500 (tests of the fail-closed path).
    """

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = Path(folder).absolute()
        self.host, self.port = host, port
        self.fail = False
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def ca_path(self) -> Path:
        return self.folder / "tsa-ca.pem"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/tsr"

    def reply(self, query: bytes) -> bytes:
        """Answer one DER TimeStampReq with ``openssl ts -reply`` (serialised: the serial file is shared)."""
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            q.write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "openssl.cnf"),
                            "-queryfile", str(q), "-out", str(r)], check=True, capture_output=True, timeout=30)
            self.requests += 1
            return r.read_bytes()

    def start(self) -> LocalTSA:
        if not self.ca_path.exists():
            make_ca(self.folder)
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                ok = (0 < length <= MAX_QUERY and not tsa.fail
                      and self.headers.get("Content-Type", "").startswith("application/timestamp-query"))
                body = self.rfile.read(length) if 0 < length <= MAX_QUERY else b""
                try:
                    answer = tsa.reply(body) if ok else None
                except (subprocess.SubprocessError, OSError):
                    answer = None
                self.send_response(200 if answer else 500)
                self.send_header("Content-Type", "application/timestamp-reply" if answer else "text/plain")
                payload = answer or b"refused\n"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LocalTSA:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="CA and TSA keys (created when missing)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    tsa = LocalTSA(args.dir, port=args.port).start()
    print(tsa.url, flush=True)
    print(f"local test TSA on {tsa.url} (root: {tsa.ca_path}); Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        tsa.stop()


if __name__ == "__main__":
    main()

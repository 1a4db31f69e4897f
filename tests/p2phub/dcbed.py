"""The DC test bed: a real uhub (ADC hub) and a real eiskaltdcpp-daemon sharing files, on 127.0.0.1.

Both are Debian packages (scripts/system-deps.sh installs them); each test run starts its own with its own
config on free loopback ports, so searches, TTHs and file lists come from real DC software.
"""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

HUB_NAME = "Evidence Test Hub"
HUB_DESCRIPTION = "Hub started by the evidence-crawler tests"
MOTD = "Welcome to the test hub: sharing is caring"
SHARER = "sharer1"
CERT_CN, CERT_ISSUER_CN = "hub.test", "Evidence Test CA"


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} not installed (scripts/system-deps.sh installs it)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def hub_certificate(root: Path) -> bytes:
    """A hub certificate signed by a throwaway CA (so subject and issuer differ), written as PEM for uhub;
    returns the leaf's DER."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Evidence Tests"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name(CERT_CN)).issuer_name(name(CERT_ISSUER_CN))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .sign(ca_key, hashes.SHA256()))
    (root / "hub-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "hub-key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                                         serialization.NoEncryption()))
    return cert.public_bytes(serialization.Encoding.DER)


class Uhub:
    """``tls=True``: an ADCS hub (``adcs://``) with the certificate of ``hub_certificate`` (``self.der``)."""

    def __init__(self, root: Path, tls: bool = False) -> None:
        self.port = free_port()
        (root / "motd.txt").write_text(MOTD + "\n")
        (root / "plugins.conf").write_text(f'plugin /usr/lib/uhub/mod_welcome.so "motd={root}/motd.txt"\n')
        self.der = hub_certificate(root) if tls else None
        secure = (f'tls_enable=yes\ntls_require=yes\ntls_certificate="{root}/hub-cert.pem"\n'
                  f'tls_private_key="{root}/hub-key.pem"\n') if tls else ""
        (root / "uhub.conf").write_text(
            f"server_port={self.port}\nserver_bind_addr=127.0.0.1\nhub_name={HUB_NAME}\n"
            f"hub_description={HUB_DESCRIPTION}\nhub_enabled=1\nfile_plugins={root}/plugins.conf\n"
            "max_users=50\n" + secure)
        self.log = open(root / "uhub.log", "wb")
        self.proc = subprocess.Popen([need("uhub"), "-c", str(root / "uhub.conf")], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for(self._listening, 10, "uhub to listen")
        except BaseException:
            self.stop()
            raise
        self.url = f"{'adcs' if tls else 'adc'}://127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"uhub exited with {self.proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


class Eiskalt:
    """eiskaltdcpp-daemon in active mode on loopback, driven by its JSON-RPC interface."""

    def __init__(self, root: Path, nick: str, share: Path) -> None:
        conf = root / "conf"
        conf.mkdir()
        ports = {name: free_port() for name in ("InPort", "TLSPort", "UDPPort", "rpc")}
        settings = {"Nick": nick, "IncomingConnections": 0, "InPort": ports["InPort"],
                    "TLSPort": ports["TLSPort"], "UDPPort": ports["UDPPort"], "ExternalIp": "127.0.0.1",
                    "BindAddress": "127.0.0.1"}
        body = "".join(f'<{k} type="{"int" if isinstance(v, int) else "string"}">{v}</{k}>\n'
                       for k, v in settings.items())
        (conf / "DCPlusPlus.xml").write_text('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
                                             f"<DCPlusPlus><Settings>\n{body}</Settings></DCPlusPlus>\n")
        self.rpc_url = f"http://127.0.0.1:{ports['rpc']}/"
        self.log = open(root / "daemon.log", "wb")
        self.proc = subprocess.Popen([need("eiskaltdcpp-daemon"), "-c", str(conf), "-P", str(ports["rpc"]),
                                      "-L", "127.0.0.1"], stdout=self.log, stderr=subprocess.STDOUT)
        self.nick = nick
        try:
            wait_for(self._rpc_up, 15, "eiskaltdcpp-daemon JSON-RPC")
            assert self.call("share.add", directory=f"{share}/", virtname="Music") == 0
            self.call("share.refresh")
            wait_for(self._hashed, 60, "the client to hash its share")
        except BaseException:
            self.stop()
            raise

    def _hashed(self) -> bool:
        status = self.call("hash.status")
        if status["status"] == "pause":  # the daemon starts with hashing paused; hash.pause toggles it
            self.call("hash.pause")
        return status["filesleft"] == 0 and status["status"] != "pause"

    def _rpc_up(self) -> bool:
        try:
            return bool(self.call("show.version"))
        except OSError:
            return False

    def call(self, method: str, **params):
        body = json.dumps({"jsonrpc": "2.0", "id": "1", "method": method, "params": params}).encode()
        req = urllib.request.Request(self.rpc_url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["result"]

    def join(self, hub_url: str) -> None:
        self.call("hub.add", huburl=hub_url, enc="")
        wait_for(lambda: self.nick in self.call("hub.getusers", huburl=hub_url, separator=";"), 15,
                 "the client to join the hub")

    def stop(self) -> None:
        try:
            self.call("daemon.stop")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()

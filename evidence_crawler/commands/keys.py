"""``evidence-crawler keys init|show``: the operator's ECDSA P-256 signing key (``EVIDENCE_KEY``).

The default path is ``<store>/keys/signing-key.pem``; set ``EVIDENCE_KEY`` to keep it elsewhere (a
smart-card-less workstation: outside the evidence store, on an encrypted disk); ``export`` refuses an
``EVIDENCE_KEY`` that does not exist until ``keys init`` creates it (only the default path is created on demand).
The private key is written 0600 and never printed; ``show`` prints the public key and its fingerprint.
``init`` also writes the key's self-signed X.509 certificate beside it (``signing-key.cert.pem``: CN
``EVIDENCE_OPERATOR``, O ``EVIDENCE_ORGANISATION``), which signs ``report.pdf`` (PAdES) unless
``EVIDENCE_SIGNING_CERT`` gives the organisation's chain; see docs/pdf-signature.md.
Exit codes: 0 ok; 2 no key (``show``), a key already there (``init``), or an unusable key file.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from evidence_crawler.commands.context import cli_context, fail, print_json

keys_app = typer.Typer(no_args_is_help=True, help="Create or show the signing key for evidence bundles.")


def _config(ctx: typer.Context):
    context = cli_context(ctx)
    return context.config_with(store=context.store_root)


def _describe(key) -> dict:
    from evidence_crawler.bundle.signcert import certificate_info

    return {"path": str(key.path.absolute()), "algorithm": "ECDSA P-256", "fingerprint": key.fingerprint,
            "public_key_pem": key.public_pem.decode(), "certificate": certificate_info(key)}


@keys_app.command("init")
def init(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False) -> None:
    """Create a new signing key (refuses to overwrite an existing one)."""
    from evidence_crawler.bundle.sign import SigningKeyError, create_key
    from evidence_crawler.bundle.signcert import create_certificate

    config = _config(ctx)
    try:
        key = create_key(config.key_path)
        cert = create_certificate(key, config.operator, config.organisation)
    except (SigningKeyError, OSError) as exc:
        fail(str(exc), 2)
    if as_json:
        return print_json(_describe(key))
    Console().print(f"created {key.path} (mode 0600)\nfingerprint {key.fingerprint}\ncertificate {cert}",
                    highlight=False)


@keys_app.command("show")
def show(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False) -> None:
    """The key's path, public key (PEM) and fingerprint; never the private key."""
    from evidence_crawler.bundle.sign import SigningKeyError, load_key

    try:
        key = load_key(_config(ctx).key_path)
    except SigningKeyError as exc:
        fail(str(exc), 2)
    info = _describe(key)
    if as_json:
        return print_json(info)
    cert = info["certificate"]
    cert_line = (f"certificate: {cert['path']} ({cert['subject']}, valid until {cert['not_after']})\n" if cert
                 else "certificate: none yet (the next export makes it)\n")
    Console().print(f"key: {info['path']}\nalgorithm: {info['algorithm']}\nfingerprint: {info['fingerprint']}\n"
                    f"{cert_line}{info['public_key_pem']}", highlight=False, end="")

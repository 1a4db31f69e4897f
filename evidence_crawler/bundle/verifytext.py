"""``evidence/VERIFY.txt``: how to check a bundle step by step, in the bundle's language (``--lang``).

The prose is translated; the commands are not: they are kept once, in ``COMMANDS`` and
``TIMESTAMP_COMMANDS``, and put into every language's text, so a French and an English bundle tell
the reader to type exactly the same thing (tool output quoted, such as "Verified OK", stays as the
tools print it).
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.bundle.strings import LANGS

# each line of the JSON-lines files given against one schema, with Python's jsonschema package only
LINES_CHECK = ("import json,sys,jsonschema; s=json.load(open(sys.argv[1])); "
               "[jsonschema.validate(json.loads(x), s) for f in sys.argv[2:] for x in open(f)]; print(\"ok\")")
COMMANDS = {
    "fingerprint": "openssl pkey -pubin -in evidence/public-key.pem -outform DER | sha256sum",
    "unpack": "mkdir case && unzip -q case.wacz -d case && cd case",
    "sums": "sha256sum -c evidence/SHA256SUMS",
    "package": "sha256sum datapackage.json",
    "signature": "openssl dgst -sha256 -verify evidence/public-key.pem -signature evidence/manifest.sig "
                 "evidence/manifest.json",
    "wacz": "wacz validate -f ../case.wacz",
    "pdfsig": "pdfsig -no-ocsp evidence/report.pdf",
    # OPERATOR_FINGERPRINT: the operator's key fingerprint as obtained apart from this bundle (pinning)
    "verify": "evidence-crawler verify ../case.wacz --expect-key OPERATOR_FINGERPRINT [--tsa-ca tsa-ca.pem] [--json]",
    "schema_manifest": "check-jsonschema --schemafile evidence/bundle-manifest.schema.json evidence/manifest.json",
    "schema_sealed": "check-jsonschema --schemafile evidence/manifest.schema.json evidence/*.manifest.json",
    **{f"schema_{kind}": f"python3 -c '{LINES_CHECK}' evidence/{schema}.schema.json {files}"
       for kind, schema, files in (("pages", "page", "evidence/*.pages.jsonl"),
                                   ("items", "item", "evidence/*.items.jsonl"),
                                   ("custody", "custody-event", "evidence/custody.jsonl"))},
}
TIMESTAMP_COMMANDS = ("openssl ts -verify -digest {digest} -in {token} -CAfile tsa-ca.pem",
                      "openssl ts -verify -data evidence/manifest.json -in {token} -CAfile tsa-ca.pem")

TEMPLATES = {"en": """\
HOW TO CHECK THIS EVIDENCE BUNDLE
=================================

Bundle format {format}, WACZ {wacz_version}, written by {software} on {created}.
Captures: {captures}
Operator's public key: evidence/public-key.pem, fingerprint {fingerprint}
(sha256 of the DER public key: `{cmd_fingerprint}`).
Compare it with the fingerprint the operator declared, independently of this bundle.

Every step below uses standard tools only (unzip, sha256sum, openssl) and works offline.

1. Unpack into an empty folder and go there ("case.wacz" stands for this bundle's file name):

     {cmd_unpack}

2. Every file's sha256 (all but datapackage.json, datapackage-digest.json and SHA256SUMS itself):

     {cmd_sums}

   Every line must say OK. datapackage.json lists the same hashes (WACZ), and its own sha256 is the
   "hash" in datapackage-digest.json:

     {cmd_package}

3. The operator's signature over the evidence manifest (which lists the hash of every captured file):

     {cmd_signature}

   It must print "Verified OK".

4. The trusted timestamp(s). {timestamp_intro}
{timestamp_steps}
5. The WACZ package (py-wacz, `pip install wacz`):

     {cmd_wacz}

6. All of the above and more (every WARC record digest, the custody chain, that the manifest agrees
   with the WARC files, the WACZ signature in datapackage-digest.json), with this project's verifier:

     {cmd_verify}

   Exit 0: valid. 1: invalid (every failing file, record or check is named). 2: not a usable bundle.

7. The JSON files against the JSON Schemas (2020-12) this bundle carries, evidence/<name>.schema.json,
   with any JSON Schema tool; e.g. check-jsonschema (`pip install check-jsonschema`):

     {cmd_schema_manifest}
     {cmd_schema_sealed}

   Each must print "ok -- validation done". The JSON-lines files hold one record a line (pages, items,
   custody events); each line against its schema, with Python's jsonschema (`pip install jsonschema`):

     {cmd_schema_pages}
     {cmd_schema_items}
     {cmd_schema_custody}

   Each must print "ok". This project prints the same schemas: `evidence-crawler schema manifest`.

8. The report's own signature (PAdES, with a timestamp unless --no-timestamp; poppler-utils):

     {cmd_pdfsig}

   It must print "Signature is Valid." and "Total document signed"; the signer's certificate is
   evidence/pdf-signer.pem, whose sha256 is "pdf_signer" in evidence/manifest.json.

What each file is: evidence/manifest.json lists the captures, their environment statements, the
items and offers, and the sha256/blake3 of every file; evidence/<capture>.manifest.json is each
capture's manifest as sealed in the evidence store, and its sha256 is named by the capture_sealed
event in evidence/custody.jsonl, a hash-chained ledger: each line's "hash" is the sha256 of the line's
canonical JSON without "hash", and "prev" is the previous line's hash in the store's ledger.
""", "fr": """\
COMMENT VÉRIFIER CE LOT DE PREUVES
==================================

Format du lot {format}, WACZ {wacz_version}, écrit par {software} le {created}.
Captures : {captures}
Clé publique de l'opérateur : evidence/public-key.pem, empreinte {fingerprint}
(sha256 de la clé publique au format DER : `{cmd_fingerprint}`).
Comparez-la à l'empreinte déclarée par l'opérateur, indépendamment de ce lot.

Chaque étape ci-dessous n'utilise que des outils standard (unzip, sha256sum, openssl) et fonctionne
hors ligne.

1. Décompresser le lot dans un dossier vide et s'y placer (« case.wacz » désigne le nom du fichier
   de ce lot) :

     {cmd_unpack}

2. Le sha256 de chaque fichier (tous sauf datapackage.json, datapackage-digest.json et SHA256SUMS
   lui-même) :

     {cmd_sums}

   Chaque ligne doit indiquer OK. datapackage.json liste les mêmes empreintes (WACZ), et son propre
   sha256 est le « hash » inscrit dans datapackage-digest.json :

     {cmd_package}

3. La signature de l'opérateur sur le manifeste de preuve (qui liste l'empreinte de chaque fichier
   capturé) :

     {cmd_signature}

   La commande doit afficher "Verified OK".

4. Le ou les horodatages qualifiés. {timestamp_intro}
{timestamp_steps}
5. Le paquet WACZ (py-wacz, `pip install wacz`) :

     {cmd_wacz}

6. Tout ce qui précède, et davantage (l'empreinte de chaque enregistrement WARC, la chaîne de
   possession, l'accord du manifeste avec les fichiers WARC, la signature WACZ de
   datapackage-digest.json), avec le vérificateur de ce projet :

     {cmd_verify}

   Code de sortie 0 : valide. 1 : invalide (chaque fichier, enregistrement ou contrôle en échec est
   nommé). 2 : lot inutilisable.

7. Les fichiers JSON face aux schémas JSON Schema (2020-12) que porte ce lot,
   evidence/<nom>.schema.json, avec n'importe quel outil JSON Schema ; par exemple check-jsonschema
   (`pip install check-jsonschema`) :

     {cmd_schema_manifest}
     {cmd_schema_sealed}

   Chaque commande doit afficher "ok -- validation done". Les fichiers JSON-lines portent un
   enregistrement par ligne (pages, articles, événements de possession) ; chaque ligne face à son
   schéma, avec le paquet Python jsonschema (`pip install jsonschema`) :

     {cmd_schema_pages}
     {cmd_schema_items}
     {cmd_schema_custody}

   Chaque commande doit afficher "ok". Ce projet affiche les mêmes schémas :
   `evidence-crawler schema manifest`.

8. La signature du rapport lui-même (PAdES, horodatée sauf --no-timestamp ; poppler-utils) :

     {cmd_pdfsig}

   La commande doit afficher "Signature is Valid." et "Total document signed" ; le certificat du
   signataire est evidence/pdf-signer.pem, dont le sha256 est « pdf_signer » dans evidence/manifest.json.

Rôle de chaque fichier : evidence/manifest.json liste les captures, leurs déclarations d'environnement,
les articles et les offres, et le sha256/blake3 de chaque fichier ; evidence/<capture>.manifest.json est
le manifeste de chaque capture tel que scellé dans le magasin de preuves, et son sha256 est cité par
l'événement capture_sealed de evidence/custody.jsonl, un registre chaîné par empreintes : le « hash »
de chaque ligne est le sha256 de son JSON canonique sans « hash », et « prev » est l'empreinte de la
ligne précédente du registre du magasin.
"""}

TIMESTAMP_STEP = {"en": """
     {cmd_digest}
     (or: {cmd_data})

   {token}: from {url}, time {gen_time}. It must print "Verification: OK".
""", "fr": """
     {cmd_digest}
     (ou : {cmd_data})

   {token} : délivré par {url}, heure {gen_time}. La commande doit afficher "Verification: OK".
"""}

TIMESTAMP_INTRO = {"en": ("Each token is an RFC 3161 answer over the sha256 of evidence/manifest.json,\n"
                          "   {digest}.\n"
                          "   tsa-ca.pem is the root certificate of the time-stamping authority: get it from the "
                          "TSA itself,\n   never from this bundle."),
                   "fr": ("Chaque jeton est une réponse RFC 3161\n"
                          "   portant sur le sha256 de evidence/manifest.json,\n   {digest}.\n"
                          "   tsa-ca.pem est le certificat racine de l'autorité d'horodatage : obtenez-le auprès de "
                          "l'autorité\n   elle-même, jamais depuis ce lot.")}

NO_TIMESTAMP = {"en": ("NONE. This bundle was exported with --no-timestamp: no trusted third party\n"
                       "   attests when it existed. Only the operator's signature and the capture times it states "
                       "remain.\n"),
                "fr": ("AUCUN. Ce lot a été exporté avec --no-timestamp : aucun tiers de confiance\n"
                       "   n'atteste de la date de son existence. Seules restent la signature de l'opérateur et "
                       "les heures de capture qu'il déclare.\n")}


def verify_text(*, lang: str, bundle_format: str, software: str, created: str, captures: list[str],
                fingerprint: str, manifest_sha256: str, tokens: list[dict[str, Any]], timestamped: bool) -> bytes:
    if lang not in LANGS:
        raise ValueError(f"unknown bundle language {lang!r}; choose one of {', '.join(LANGS)}")
    if timestamped:
        intro = TIMESTAMP_INTRO[lang].format(digest=manifest_sha256)
        steps = "".join(TIMESTAMP_STEP[lang].format(
            cmd_digest=TIMESTAMP_COMMANDS[0].format(digest=manifest_sha256, token=t["path"]),
            cmd_data=TIMESTAMP_COMMANDS[1].format(token=t["path"]), token=t["path"], url=t["url"],
            gen_time=t["gen_time"]) for t in tokens)
    else:
        intro, steps = NO_TIMESTAMP[lang], ""
    return TEMPLATES[lang].format(format=bundle_format, wacz_version="1.1.1", software=software, created=created,
                                  captures=", ".join(captures), fingerprint=fingerprint, timestamp_intro=intro,
                                  timestamp_steps=steps,
                                  **{f"cmd_{k}": v for k, v in _commands(timestamped).items()}).encode()


def _commands(timestamped: bool) -> dict[str, str]:
    """``COMMANDS``; an untimestamped bundle's verify command says it accepts one (verify fails it otherwise)."""
    if timestamped:
        return COMMANDS
    return {**COMMANDS, "verify": COMMANDS["verify"].replace("../case.wacz", "../case.wacz --accept-untimestamped")}

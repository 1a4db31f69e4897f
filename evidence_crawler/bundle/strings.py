"""The report's fixed text in English and French. Page-derived text never goes here: it is data."""

from __future__ import annotations

LANGS = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "report": {"en": "Evidence report", "fr": "Rapport de constat"},
    "case_ref": {"en": "Case reference", "fr": "Référence du dossier"},
    "exported_at": {"en": "Bundle exported (UTC)", "fr": "Lot exporté (UTC)"},
    "exported_by": {"en": "Exported by", "fr": "Exporté par"},
    "software": {"en": "Software", "fr": "Logiciel"},
    "summary": {"en": "Summary", "fr": "Synthèse"},
    "no_ts_title": {"en": "NOT TIMESTAMPED", "fr": "SANS HORODATAGE"},
    "no_ts_body": {"en": "This bundle was exported with --no-timestamp. No trusted time-stamping authority "
                           "attests when it existed; only the operator's own signature and the capture times "
                           "it states remain. This PDF's own signature carries no timestamp either (PAdES B-B).",
                   "fr": "Ce lot a été exporté avec --no-timestamp. Aucune autorité d'horodatage de confiance "
                         "n'atteste de la date de son existence ; seules restent la signature de l'opérateur "
                         "et les heures de capture qu'il déclare. La signature de ce PDF n'est pas non plus "
                         "horodatée (PAdES B-B)."},
    "timestamps": {"en": "Trusted timestamps (RFC 3161)", "fr": "Horodatages qualifiés (RFC 3161)"},
    "ts_intro": {"en": "Each token is a time-stamping authority's signed statement that the digest below "
                       "existed at the time shown. The digest is the sha256 of evidence/manifest.json, which "
                       "lists the sha256 and blake3 of every captured file.",
                 "fr": "Chaque jeton est une déclaration signée d'une autorité d'horodatage attestant que "
                       "l'empreinte ci-dessous existait à l'heure indiquée. L'empreinte est le sha256 de "
                       "evidence/manifest.json, qui liste le sha256 et le blake3 de chaque fichier capturé."},
    "token": {"en": "Token", "fr": "Jeton"},
    "tsa": {"en": "Authority (URL)", "fr": "Autorité (URL)"},
    "tsa_name": {"en": "Authority name", "fr": "Nom de l'autorité"},
    "gen_time": {"en": "Time (UTC)", "fr": "Heure (UTC)"},
    "serial": {"en": "Serial", "fr": "Numéro de série"},
    "policy": {"en": "Policy", "fr": "Politique"},
    "imprint": {"en": "Timestamped digest (sha256)", "fr": "Empreinte horodatée (sha256)"},
    "tsa_failed": {"en": "Authorities that gave no token", "fr": "Autorités n'ayant pas fourni de jeton"},
    "signature": {"en": "Signature", "fr": "Signature"},
    "sig_algo": {"en": "Algorithm", "fr": "Algorithme"},
    "sig_key": {"en": "Operator's public key (fingerprint)", "fr": "Clé publique de l'opérateur (empreinte)"},
    "sig_what": {"en": "Signed", "fr": "Objet signé"},
    "sig_what_value": {"en": "evidence/manifest.json (signature: evidence/manifest.sig); the whole package "
                             "through datapackage.json (signature: datapackage-digest.json, WACZ signing)",
                       "fr": "evidence/manifest.json (signature : evidence/manifest.sig) ; l'ensemble du lot "
                             "via datapackage.json (signature : datapackage-digest.json, signature WACZ)"},
    "captures": {"en": "Captures", "fr": "Captures"},
    "diff": {"en": "What changed between the captures", "fr": "Évolution entre les captures"},
    "diff_added": {"en": "Items added", "fr": "Articles ajoutés"},
    "diff_removed": {"en": "Items removed", "fr": "Articles retirés"},
    "diff_changed": {"en": "Items changed", "fr": "Articles modifiés"},
    "diff_unchanged": {"en": "Items unchanged", "fr": "Articles inchangés"},
    "diff_field": {"en": "Field", "fr": "Champ"},
    "diff_before": {"en": "Before", "fr": "Avant"},
    "diff_after": {"en": "After", "fr": "Après"},
    "capture": {"en": "Capture", "fr": "Capture"},
    "profile": {"en": "Site profile", "fr": "Profil de site"},
    "start_urls": {"en": "Start URLs", "fr": "URL de départ"},
    "started": {"en": "Started (UTC)", "fr": "Début (UTC)"},
    "finished": {"en": "Finished (UTC)", "fr": "Fin (UTC)"},
    "finish_reason": {"en": "Finish reason", "fr": "Motif de fin"},
    "counts": {"en": "Pages / items / offers / errors", "fr": "Pages / articles / offres / erreurs"},
    "requests_not_fetched": {"en": "Requests not made or not completed (errors.jsonl)",
                             "fr": "Requêtes non faites ou inabouties (errors.jsonl)"},
    "failed": {"en": "failed", "fr": "en échec"},
    "not_followed": {"en": "not followed by policy", "fr": "non suivies par règle de collecte"},
    "cut_note": {"en": "…({n} characters, full text in {source})",
                 "fr": "…({n} caractères, texte complet dans {source})"},
    "sealed_manifest": {"en": "Sealed manifest (sha256)", "fr": "Manifeste scellé (sha256)"},
    "sealed_event": {"en": "Custody event sealing it", "fr": "Événement de scellement (registre)"},
    "seal_anchor": {"en": "Seal-time timestamp", "fr": "Horodatage au scellement"},
    "seal_stamped": {"en": "timestamped {seconds} s after the capture ended ({gen_time}, {tsa})",
                     "fr": "horodaté {seconds} s après la fin de la capture ({gen_time}, {tsa})"},
    "seal_unstamped": {"en": "sealed without a seal-time timestamp",
                       "fr": "scellé sans horodatage au moment du scellement"},
    "seal_signed": {"en": "signed at seal by {fingerprint}", "fr": "signé au scellement par {fingerprint}"},
    "environment": {"en": "Environment statement", "fr": "Déclaration d'environnement"},
    "operator": {"en": "Operator", "fr": "Opérateur"},
    "hostname": {"en": "Host", "fr": "Machine"},
    "os": {"en": "Operating system", "fr": "Système d'exploitation"},
    "tool": {"en": "Tool and dependencies", "fr": "Outil et dépendances"},
    "local_ips": {"en": "Local addresses", "fr": "Adresses locales"},
    "dns": {"en": "DNS answers", "fr": "Réponses DNS"},
    "proxies": {"en": "Proxy variables", "fr": "Variables de proxy"},
    "clock": {"en": "Clock at sealing (UTC)", "fr": "Horloge au scellement (UTC)"},
    "user_agent": {"en": "User agent", "fr": "Agent utilisateur"},
    "settings": {"en": "Settings that change the capture", "fr": "Réglages influant sur la capture"},
    "none": {"en": "none", "fr": "aucune"},
    "offers": {"en": "Offers", "fr": "Offres"},
    "item": {"en": "Item", "fr": "Article"},
    "format": {"en": "Format", "fr": "Format"},
    "price": {"en": "Price (as shown)", "fr": "Prix (tel qu'affiché)"},
    "amount": {"en": "Amount", "fr": "Montant"},
    "currency": {"en": "Currency", "fr": "Devise"},
    "page_hash": {"en": "Page sha256", "fr": "sha256 de la page"},
    "no_offers": {"en": "No offers were recorded.", "fr": "Aucune offre n'a été relevée."},
    "items_only": {"en": "Limited to items whose URL matches", "fr": "Limité aux articles dont l'URL correspond à"},
    "p2p": {"en": "Peer-to-peer links", "fr": "Liens pair-à-pair"},
    "name": {"en": "Name", "fr": "Nom"},
    "size": {"en": "Size (bytes)", "fr": "Taille (octets)"},
    "hash": {"en": "Hash", "fr": "Empreinte"},
    "pages": {"en": "Pages and navigation path", "fr": "Pages et parcours de navigation"},
    "pages_intro": {"en": "Every exchange in capture order: when the request was sent, the answer's status, "
                          "the server's address, the page reached from (referrer) and its depth, and the sha256 "
                          "of the body exactly as received.",
                    "fr": "Chaque échange dans l'ordre de la capture : heure d'envoi de la requête, statut de "
                          "la réponse, adresse du serveur, page d'origine (référent) et profondeur, et sha256 du "
                          "corps tel que reçu."},
    "time": {"en": "Sent (UTC)", "fr": "Envoi (UTC)"},
    "status": {"en": "Status", "fr": "Statut"},
    "url": {"en": "URL and title", "fr": "URL et titre"},
    "ip": {"en": "Server IP", "fr": "IP du serveur"},
    "from": {"en": "From (depth)", "fr": "Depuis (profondeur)"},
    "screenshot": {"en": "Screenshot", "fr": "Capture d'écran"},
    "no_screenshot": {"en": "none (browser capture not used)", "fr": "aucune (capture navigateur non utilisée)"},
    "custody": {"en": "Chain of custody", "fr": "Chaîne de possession"},
    "custody_intro": {"en": "evidence/custody.jsonl holds the ledger lines of these captures, each chained to "
                            "the previous line of the store's ledger by its hash.",
                      "fr": "evidence/custody.jsonl contient les lignes du registre relatives à ces captures, "
                            "chacune chaînée à la ligne précédente du registre par son empreinte."},
    "events": {"en": "Events", "fr": "Événements"},
    "first_prev": {"en": "First line links to", "fr": "La première ligne suit"},
    "last_hash": {"en": "Last line's hash", "fr": "Empreinte de la dernière ligne"},
    "store_head": {"en": "Store ledger head at export", "fr": "Tête du registre à l'export"},
    "how_to_verify": {"en": "How to verify", "fr": "Comment vérifier"},
    "verify_steps": {"en": "Unzip the bundle, then: sha256sum -c evidence/SHA256SUMS; openssl dgst -sha256 "
                           "-verify evidence/public-key.pem -signature evidence/manifest.sig evidence/manifest.json; "
                           "openssl ts -verify -data evidence/manifest.json -in evidence/timestamp-0.tsr -CAfile "
                           "tsa-ca.pem (the authority's root certificate, obtained from the authority); wacz "
                           "validate -f case.wacz; or all at once: evidence-crawler verify case.wacz. Step by "
                           "step: evidence/VERIFY.txt.",
                     "fr": "Décompresser le lot, puis : sha256sum -c evidence/SHA256SUMS ; openssl dgst -sha256 "
                           "-verify evidence/public-key.pem -signature evidence/manifest.sig evidence/manifest.json ; "
                           "openssl ts -verify -data evidence/manifest.json -in evidence/timestamp-0.tsr -CAfile "
                           "tsa-ca.pem (certificat racine de l'autorité, obtenu auprès d'elle) ; wacz validate -f "
                           "case.wacz ; ou tout à la fois : evidence-crawler verify case.wacz. Pas à pas : "
                           "evidence/VERIFY.txt."},
}


def strings(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; choose one of {', '.join(LANGS)}")
    return {k: v[lang] for k, v in STRINGS.items()}

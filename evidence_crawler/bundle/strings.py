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
    "page": {"en": "page", "fr": "page"}, "of": {"en": "of", "fr": "sur"},
    "manifest_digest": {"en": "manifest.json sha256", "fr": "sha256 de manifest.json"},
    "summary_intro": {"en": "This report sets out what an automated capture recorded of the site(s) below: the "
                            "conditions of the capture, the pages shown as exhibits with their screenshots and the "
                            "links followed to reach them, the offers found, and how every file can be verified.",
                      "fr": "Le présent rapport expose ce qu'une capture automatisée a enregistré du ou des sites "
                            "ci-dessous : les conditions de la capture, les pages produites en pièces avec leur "
                            "capture d'écran et les liens suivis pour y parvenir, les offres relevées, et la manière "
                            "de vérifier chaque fichier. Il est établi par l'outil et son opérateur ; il ne constitue "
                            "pas un procès-verbal de commissaire de justice."},
    "sites": {"en": "Site(s) captured", "fr": "Site(s) capturé(s)"},
    "period": {"en": "Period captured (UTC)", "fr": "Période de capture (UTC)"},
    "period_value": {"en": "from {start} to {end}", "fr": "du {start} au {end}"},
    "found": {"en": "What was found", "fr": "Constatations"},
    "found_items": {"en": "{items} items offered, {offers} offers", "fr": "{items} articles proposés, {offers} offres"},
    "found_prices": {"en": "prices in {currency}: {low} to {high} ({offers} offers)",
                     "fr": "prix en {currency} : de {low} à {high} ({offers} offres)"},
    "found_p2p": {"en": "{n} peer-to-peer links", "fr": "{n} liens pair-à-pair"},
    "found_hubs": {"en": "{n} peer-to-peer hub(s) surveyed", "fr": "{n} hub(s) pair-à-pair relevé(s)"},
    "found_works": {"en": "{n} works of the repertoire matched", "fr": "{n} œuvres du répertoire rapprochées"},
    "integrity": {"en": "Integrity", "fr": "Intégrité"},
    "integrity_line": {"en": "evidence/manifest.json (sha256 {sha256}) lists the hash of every file of the bundle; "
                             "it is signed by the key {fingerprint}.",
                       "fr": "evidence/manifest.json (sha256 {sha256}) liste l'empreinte de chaque fichier du lot ; "
                             "il est signé par la clé {fingerprint}."},
    "ts_line": {"en": "Timestamped {gen_time} (UTC) by {tsa}.", "fr": "Horodaté le {gen_time} (UTC) par {tsa}."},
    "verify_one": {"en": "To verify: evidence-crawler verify case.wacz --tsa-ca tsa-ca.pem, or by hand with "
                         "standard tools (evidence/VERIFY.txt).",
                   "fr": "Pour vérifier : evidence-crawler verify case.wacz --tsa-ca tsa-ca.pem, ou à la main avec "
                         "des outils courants (evidence/VERIFY.txt)."},
    "conditions": {"en": "Conditions of the capture", "fr": "Conditions de la capture"},
    "conditions_intro": {"en": "Each line states a fact the capturing machine recorded in the capture's sealed "
                               "manifest, and how it was established. \"not recorded\" means the manifest holds no "
                               "such fact; nothing on this page is added at export.",
                         "fr": "Chaque ligne reprend un élément que la machine de capture a consigné dans le "
                               "manifeste scellé de la capture, et la manière dont il a été établi. « non "
                               "enregistré » signifie que le manifeste ne contient pas cet élément ; rien n'est "
                               "ajouté lors de l'export."},
    "check_item": {"en": "Item", "fr": "Élément"}, "check_value": {"en": "Recorded value", "fr": "Valeur enregistrée"},
    "check_how": {"en": "How established", "fr": "Mode d'établissement"},
    "exhibits": {"en": "Exhibits", "fr": "Pièces"},
    "exhibits_intro": {"en": "The pages that matter, in the order they were visited, each with its screenshot, the "
                             "time the request was sent, the answer's status, the server's address, the sha256 of the "
                             "bytes received, and the links followed from the start page to reach it.",
                       "fr": "Les pages utiles, dans l'ordre de leur visite, chacune avec sa capture d'écran, l'heure "
                             "d'envoi de la requête, le statut de la réponse, l'adresse du serveur, le sha256 des "
                             "octets reçus, et les liens suivis depuis la page de départ pour y parvenir."},
    "exhibit": {"en": "Exhibit", "fr": "Pièce"},
    "ex_path": {"en": "Hyperlink path from the start page", "fr": "Chemin de liens depuis la page de départ"},
    "ex_start": {"en": "start page", "fr": "page de départ"},
    "ex_link": {"en": "link followed", "fr": "lien suivi"},
    "ex_no_link_text": {"en": "link text not recorded", "fr": "texte du lien non enregistré"},
    "ex_shot_capture": {"en": "screenshot taken by the browser at capture",
                        "fr": "capture d'écran prise par le navigateur lors de la capture"},
    "ex_shot_archive": {"en": "rendered from the archive at export, {time} (archived bytes only, scripts off)",
                        "fr": "rendu à partir de l'archive lors de l'export, {time} (octets archivés uniquement, "
                              "scripts désactivés)"},
    "ex_shot_none": {"en": "no screenshot: the page could not be drawn from the archive",
                     "fr": "pas de capture d'écran : la page n'a pu être rendue à partir de l'archive"},
    "ex_sha": {"en": "sha256 of the bytes received", "fr": "sha256 des octets reçus"},
    "ex_shot_file": {"en": "Screenshot file (sha256)", "fr": "Fichier de la capture d'écran (sha256)"},
    "no_exhibits": {"en": "No HTML page was selected as an exhibit.",
                    "fr": "Aucune page HTML n'a été retenue en pièce."},
    "offers_intro": {"en": "One row per item, a column per format: the price as shown on the site, and the amount "
                           "read from it. Every offer is also in evidence/offers.csv.",
                     "fr": "Une ligne par article, une colonne par format : le prix tel qu'affiché sur le site, et le "
                           "montant lu. Chaque offre figure aussi dans evidence/offers.csv."},
    "artist": {"en": "Artist", "fr": "Artiste"}, "no_artist": {"en": "(no artist)", "fr": "(sans artiste)"},
    "offers_cell": {"en": "Offers", "fr": "Offres"},
    "annexes": {"en": "Annexes (files)", "fr": "Annexes (fichiers)"},
    "annexes_intro": {"en": "The full list of recorded exchanges and of offers are files of the bundle (CSV, UTF-8), "
                            "identified by their sha256:",
                      "fr": "La liste complète des échanges enregistrés et des offres figure dans des fichiers du lot "
                            "(CSV, UTF-8), identifiés par leur sha256 :"},
    "file": {"en": "File", "fr": "Fichier"}, "bytes": {"en": "Bytes", "fr": "Octets"},
    "integrity_section": {"en": "Integrity and verification", "fr": "Intégrité et vérification"},
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
    "pdf_sig": {"en": "Signature of this PDF", "fr": "Signature de ce PDF"},
    "pdf_sig_value": {"en": "PAdES {pades} at least (pdfsig or any PDF reader shows it), by {subject}; certificate in "
                            "{certificate}",
                      "fr": "PAdES {pades} au moins (affichée par pdfsig ou tout lecteur PDF), par {subject} ; "
                            "certificat dans {certificate}"},
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

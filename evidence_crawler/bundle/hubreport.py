"""The report's "Peer-to-peer hub" section: each surveyed DC hub, its users and the shares found.

Built from the bundle's ``p2p_hub`` and ``p2p_share`` items only (what the sealed ``items.jsonl`` says),
with its own strings, so the section is one self-contained block of the report (``p2p_hub.html.j2``).
Search results are listed in full (the survey bounds them); file lists, which can hold hundreds of
thousands of entries, are counted per user: every entry is in the capture's ``items.jsonl``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

STRINGS = {
    "title": {"en": "Peer-to-peer hub", "fr": "Hub pair-à-pair"},
    "intro": {"en": "A DirectConnect hub surveyed as a passive client: what the hub announced about itself, "
                    "who was connected and what they shared, as recorded in the capture's transcript.",
              "fr": "Un hub DirectConnect relevé en client passif : ce que le hub a annoncé de lui-même, qui "
                    "était connecté et ce qui était partagé, tel qu'enregistré dans la transcription."},
    "hub": {"en": "Hub", "fr": "Hub"}, "address": {"en": "Server IP", "fr": "IP du serveur"},
    "certificate": {"en": "TLS certificate presented (not validated)", "fr": "Certificat TLS présenté (non validé)"},
    "subject": {"en": "Subject", "fr": "Sujet"}, "issuer": {"en": "Issuer", "fr": "Émetteur"},
    "name": {"en": "Name", "fr": "Nom"}, "description": {"en": "Description / topic", "fr": "Description / sujet"},
    "software": {"en": "Software", "fr": "Logiciel"}, "motd": {"en": "Messages from the hub",
                                                              "fr": "Messages du hub"},
    "redirects": {"en": "Redirects (not followed)", "fr": "Redirections (non suivies)"},
    "period": {"en": "Survey (UTC)", "fr": "Relevé (UTC)"}, "end": {"en": "End", "fr": "Fin"},
    "users": {"en": "Users", "fr": "Utilisateurs"}, "total": {"en": "Total shared (bytes)",
                                                             "fr": "Total partagé (octets)"},
    "nick": {"en": "Nick", "fr": "Pseudonyme"}, "share": {"en": "Share (bytes)", "fr": "Partage (octets)"},
    "files": {"en": "Files", "fr": "Fichiers"}, "client": {"en": "Client", "fr": "Client"},
    "mode": {"en": "Mode", "fr": "Mode"}, "ip": {"en": "IP", "fr": "IP"},
    "shares": {"en": "Shares found", "fr": "Fichiers trouvés"}, "path": {"en": "Path", "fr": "Chemin"},
    "size": {"en": "Size (bytes)", "fr": "Taille (octets)"}, "term": {"en": "Search", "fr": "Recherche"},
    "matched": {"en": "Work matched (repertoire)", "fr": "Œuvre reconnue (répertoire)"},
    "row": {"en": "row", "fr": "ligne"}, "review": {"en": "to review", "fr": "à vérifier"},
    "filelists": {"en": "File lists (entries per user; every entry is in items.jsonl)",
                  "fr": "Listes de fichiers (entrées par utilisateur ; chaque entrée est dans items.jsonl)"},
    "no_shares": {"en": "No search result.", "fr": "Aucun résultat de recherche."},
}


def hub_sections(items: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """``{"t": strings, "hubs": [...]}``; ``hubs`` is empty when the bundle holds no survey."""
    hubs = []
    for hub in (i for i in items if i.get("kind") == "p2p_hub"):
        shares = [i["fields"] for i in items if i.get("kind") == "p2p_share" and i["url"] == hub["url"]
                  and i.get("capture_id") == hub.get("capture_id")]
        hubs.append({"facts": hub["fields"], "url": hub["url"],
                     "hits": [s for s in shares if s.get("source") == "search"],
                     "filelists": sorted(Counter(s["user"] for s in shares if s.get("source") == "filelist").items())})
    return {"t": {k: v[lang] for k, v in STRINGS.items()}, "hubs": hubs}

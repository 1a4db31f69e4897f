"""Fixed text of the conditions checklist (``checklist.py``), English and French.

French is written for a French legal reader: factual statements of what the capturing machine recorded
and how; it never presents the tool or its operator as a commissaire de justice.
"""

from __future__ import annotations


def _l(label_en: str, label_fr: str, how_en: str, how_fr: str) -> dict[str, dict[str, str]]:
    return {"label": {"en": label_en, "fr": label_fr}, "how": {"en": how_en, "fr": how_fr}}


BY_OS = ("read from the operating system at capture", "lu auprès du système d'exploitation lors de la capture")
LINES: dict[str, dict] = {
    "operator": {"title": {"en": "Operator", "fr": "Opérateur"}, "lines": [
        _l("Operator", "Opérateur", "declared by the operator (EVIDENCE_OPERATOR) or the system account",
           "déclaré par l'opérateur (EVIDENCE_OPERATOR) ou compte système"),
        _l("Organisation", "Organisme", "declared by the operator (EVIDENCE_ORGANISATION)",
           "déclaré par l'opérateur (EVIDENCE_ORGANISATION)")]},
    "machine": {"title": {"en": "Machine", "fr": "Machine"}, "lines": [
        _l("Host name", "Nom de la machine", *BY_OS),
        _l("Operating system", "Système d'exploitation", *BY_OS),
        _l("Processor", "Processeur", *BY_OS),
        _l("Memory", "Mémoire", *BY_OS)]},
    "software": {"title": {"en": "Software", "fr": "Logiciels"}, "lines": [
        _l("Capture tool", "Outil de capture", "version of the installed package",
           "version du paquet installé"),
        _l("Installed files of the tool", "Fichiers installés de l'outil",
           "sha256 computed over the tool's installed files at capture",
           "sha256 calculé sur les fichiers installés de l'outil lors de la capture"),
        _l("Browser", "Navigateur", "version reported by the browser launched for the capture",
           "version indiquée par le navigateur lancé pour la capture")]},
    "network": {"title": {"en": "Network", "fr": "Réseau"}, "lines": [
        _l("Local addresses", "Adresses locales", "network interfaces of the machine at capture",
           "interfaces réseau de la machine lors de la capture"),
        _l("Public (egress) address", "Adresse publique (de sortie)",
           "answer of the echo services configured in EVIDENCE_PUBLIC_IP_URLS",
           "réponse des services d'écho configurés dans EVIDENCE_PUBLIC_IP_URLS"),
        _l("DNS resolvers used", "Résolveurs DNS utilisés", "system resolver configuration at capture",
           "configuration du résolveur du système lors de la capture"),
        _l("DNS answers", "Réponses DNS", "resolution of each host of the capture, at its start",
           "résolution de chaque hôte de la capture, à son début"),
        _l("Proxy settings (process)", "Paramètres de proxy (processus)", "proxy variables of the capture process",
           "variables de proxy du processus de capture"),
        _l("Proxy settings (browser)", "Paramètres de proxy (navigateur)", "launch settings of the browser",
           "paramètres de lancement du navigateur")]},
    "clock": {"title": {"en": "Clock", "fr": "Horloge"}, "lines": [
        _l("System time (UTC)", "Heure système (UTC)", "system clock of the machine",
           "horloge système de la machine"),
        _l("Clock check", "Contrôle de l'horloge",
           "NTP query to the servers configured in EVIDENCE_NTP_SERVERS",
           "requête NTP auprès des serveurs configurés dans EVIDENCE_NTP_SERVERS")]},
    "clean_state": {"title": {"en": "Clean state", "fr": "État vierge"}, "lines": [
        _l("HTTP crawl", "Collecte HTTP", "how the crawl starts without cookies, cache or history",
           "comment la collecte démarre sans cookie, cache ni historique"),
        _l("Browser contexts", "Contextes du navigateur",
           "how each browser context starts without cookies, cache, history or storage",
           "comment chaque contexte du navigateur démarre sans cookie, cache, historique ni stockage"),
        _l("Cookies carried in", "Cookies importés", "cookies given to the capture before it started",
           "cookies fournis à la capture avant son début")]},
    "period": {"title": {"en": "Period", "fr": "Période"}, "lines": [
        _l("Start (UTC)", "Début (UTC)", "system clock, when the capture started",
           "horloge système, au début de la capture"),
        _l("End (UTC)", "Fin (UTC)", "system clock, when the capture was sealed",
           "horloge système, au scellement de la capture")]},
    "robots": {"title": {"en": "Robots and identity", "fr": "Robots et identification"}, "lines": [
        _l("robots.txt obeyed", "robots.txt respecté", "crawl setting sealed in the manifest",
           "réglage de la collecte scellé dans le manifeste"),
        _l("User agent", "Agent utilisateur", "sent with every request", "envoyé avec chaque requête")]},
}

WORDS: dict[str, dict[str, str]] = {
    "not_recorded": {"en": "not recorded", "fr": "non enregistré"},
    "not_determined": {"en": "not determined", "fr": "non déterminée"},
    "no_reason": {"en": "no reason recorded", "fr": "aucun motif enregistré"},
    "unchecked": {"en": "unchecked", "fr": "non contrôlée"},
    "none": {"en": "none", "fr": "aucun"},
    "yes": {"en": "yes", "fr": "oui"}, "no": {"en": "no", "fr": "non"},
    "cpus": {"en": "logical CPUs", "fr": "processeurs logiques"},
    "bytes": {"en": "bytes", "fr": "octets"}, "files": {"en": "files", "fr": "fichiers"},
    "via": {"en": "via", "fr": "via"}, "offset": {"en": "offset", "fr": "écart"},
    "round_trip": {"en": "round trip", "fr": "aller-retour"}, "server": {"en": "server", "fr": "serveur"},
}

"""WebRTC switched off in every frame before any page script runs, and each attempt to use it recorded.

``RTCPeerConnection`` with STUN/TURN servers sends UDP (or TCP) to any address the page names, not through
the route (:mod:`.route`): past the SSRF guard, unrecorded, and it tells the shop the machine's addresses.
Chromium's ``--force-webrtc-ip-handling-policy`` only narrows which addresses are used. So the constructors
are replaced, by an init script in every frame (iframes included), with one that records the attempt and
throws ``NotSupportedError``, as a browser without WebRTC would. The record goes through a Playwright
binding the script takes for itself and then deletes from ``window``, so page scripts cannot call it to
write fake entries; what it reports (the ICE server URLs asked for) is bounded in count and length.
"""

from __future__ import annotations

from typing import Any

BINDING = "__evidenceWebRTCAttempt"
MAX_ATTEMPTS = 20  # recorded per render; past it, only counted
MAX_SERVERS = 10  # ICE server URLs kept per attempt
MAX_CHARS = 200  # per URL

# The names that open a connection (RTCPeerConnection and its prefixed aliases) and the ones only useful with
# it; all replaced, so feature detection sees WebRTC as absent rather than broken.
APIS = ("RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCSessionDescription",
        "RTCIceCandidate", "RTCRtpSender", "RTCRtpReceiver", "RTCRtpTransceiver", "RTCDtlsTransport",
        "RTCIceTransport", "RTCSctpTransport", "RTCCertificate", "RTCDTMFSender")

INIT_SCRIPT = f"""(() => {{
  const report = window.{BINDING};
  try {{ delete window.{BINDING}; }} catch (e) {{}}
  const urlsOf = (config) => {{
    const out = [];
    try {{
      for (const server of [].concat((config && config.iceServers) || []).slice(0, {MAX_SERVERS})) {{
        for (const u of [].concat((server && server.urls) || []).slice(0, {MAX_SERVERS})) {{
          if (out.length < {MAX_SERVERS}) out.push(String(u).slice(0, {MAX_CHARS}));
        }}
      }}
    }} catch (e) {{ out.push('<unreadable>'); }}
    return out;
  }};
  for (const name of {list(APIS)!r}) {{
    if (!(name in window)) continue;
    const refused = function () {{
      try {{ if (report) report(name, urlsOf(arguments[0])); }} catch (e) {{}}
      throw new DOMException(name + ' is disabled in this evidence capture', 'NotSupportedError');
    }};
    Object.defineProperty(window, name, {{value: refused, writable: false, configurable: false,
                                          enumerable: false}});
  }}
}})();"""


class WebRTCRecorder:
    """Collects the page's WebRTC attempts for the render record (``webrtc`` in renders.jsonl)."""

    def __init__(self) -> None:
        self.attempts: list[dict[str, Any]] = []
        self.count = 0

    def _attempt(self, source, api: str, ice_servers: list) -> None:
        self.count += 1
        if len(self.attempts) < MAX_ATTEMPTS:
            frame = source.get("frame") if isinstance(source, dict) else None
            self.attempts.append({"api": str(api)[:MAX_CHARS],
                                  "ice_servers": [str(u)[:MAX_CHARS] for u in list(ice_servers)[:MAX_SERVERS]],
                                  "frame_url": (frame.url if frame is not None else "")[:MAX_CHARS],
                                  "action": "refused: WebRTC disabled, nothing sent"})

    async def install(self, context) -> None:
        """Before the page exists: the binding first, so the init script finds it in every frame."""
        await context.expose_binding(BINDING, self._attempt)
        await context.add_init_script(INIT_SCRIPT)

    def record(self) -> dict[str, Any]:
        return {"disabled": list(APIS), "attempts": self.attempts, "attempts_total": self.count}

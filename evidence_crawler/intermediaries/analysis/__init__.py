"""What the captured pages themselves show about intermediaries: certificate, CDN headers,
third-party hosts and payment methods. Input is :class:`pages.CapturedPage`; nothing here touches the network.
"""

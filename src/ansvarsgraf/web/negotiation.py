"""Content negotiation (RFC 9110 §12.5.1) for every route that offers more than one media
type: q-values, wildcards, the most specific range deciding, media types compared without
regard to case. python-mimeparse does the matching."""

from collections.abc import Sequence

import mimeparse


def acceptable(accept: str | None, offers: Sequence[str]) -> list[str]:
    """The offered media types the Accept header allows (q > 0), best first; among equal
    q-values, in the order offered (the server's preference). No header, or one that cannot
    be parsed, allows everything (RFC 9110: a server may ignore a malformed Accept)."""
    if not accept or not accept.strip():
        return list(offers)
    try:
        ranges = [mimeparse.parse_media_range(part) for part in accept.lower().split(",") if part.strip()]
    except (mimeparse.MimeTypeParseException, ValueError):
        return list(offers)
    scored = [(mimeparse.quality_parsed(offer.lower(), ranges), index, offer) for index, offer in enumerate(offers)]
    return [offer for q, index, offer in sorted(scored, key=lambda s: (-s[0], s[1])) if q > 0]

"""The server's and its tools' icons: SVG badges in the bundle icon's colours, as `data:` URIs, so a client shows
them without fetching anything from anywhere.

Each is a rounded square with the indigo-to-orange gradient of `icon.png` and a white glyph saying what a tool
makes: a play button (the server), a film frame (tools that make videos), a picture (tools that make images), or an
arrow into a tray (the download). The badge reads the same on light and dark backgrounds, so one icon serves both
themes. Tools that only look something up carry none: clients show the server's icon for them.
"""

from __future__ import annotations

import base64

from mcp.types import Icon

_FRAME = '<rect x="104" y="144" width="304" height="224" rx="28" fill="none" stroke="#fff" stroke-width="32"/>'


def _badge(glyph: str) -> Icon:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
        '<defs><linearGradient id="g" x2="1" y2="1">'
        '<stop offset="0" stop-color="#2d2078"/><stop offset="1" stop-color="#f5913c"/>'
        "</linearGradient></defs>"
        f'<rect width="512" height="512" rx="88" fill="url(#g)"/>{glyph}</svg>'
    )
    encoded = base64.b64encode(svg.encode()).decode()
    return Icon(src=f"data:image/svg+xml;base64,{encoded}", mime_type="image/svg+xml", sizes=["any"])


SERVER_ICON = _badge('<path d="M200 144v224l150-112z" fill="#fff"/>')
VIDEO_ICON = _badge(f'{_FRAME}<path d="M224 208v96l80-48z" fill="#fff"/>')
IMAGE_ICON = _badge(
    f'{_FRAME}<path d="M136 336l88-104 64 72 40-40 48 72z" fill="#fff"/><circle cx="320" cy="208" r="28" fill="#fff"/>'
)
DOWNLOAD_ICON = _badge(
    '<path d="M256 112v200M176 232l80 80 80-80M128 336v48h256v-48" fill="none" stroke="#fff" stroke-width="36" '
    'stroke-linecap="round" stroke-linejoin="round"/>'
)

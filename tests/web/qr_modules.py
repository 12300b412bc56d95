"""A QR code image read back into its modules, to check that the picture a page shows is the QR
symbol of the link and of nothing else (no QR decoder is a dependency: the symbol is compared
with the one segno makes for the expected address, module by module)."""

from __future__ import annotations

import io

import segno
from matplotlib import image


def modules(png: bytes, *, scale: int = 8, border: int = 2) -> list[list[bool]]:
    """Dark modules of a PNG drawn at `scale` pixels a module with a quiet zone of `border` modules."""
    pixels = image.imread(io.BytesIO(png), format="png")
    grey = pixels if pixels.ndim == 2 else pixels[:, :, 0]
    size = grey.shape[0] // scale - 2 * border
    assert grey.shape[0] == grey.shape[1] == (size + 2 * border) * scale, grey.shape
    centre = lambda n: (border + n) * scale + scale // 2  # noqa: E731
    return [[bool(grey[centre(r), centre(c)] < 0.5) for c in range(size)] for r in range(size)]


def symbol_of(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, error="m").matrix]

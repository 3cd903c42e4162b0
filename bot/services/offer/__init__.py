"""The public offer: seat alerts (`cupos`) and the cache of the offer's pages (`cache`).

`OfferSection` is the SIIAU adapter's plain record of one section; it is named here so that the
chat layer speaks of sections without importing `bot.siiau` (issue 17.4).
"""

from bot.siiau.offer import OfferSection

__all__ = ["OfferSection"]

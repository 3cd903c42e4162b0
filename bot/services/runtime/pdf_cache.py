"""Recently rendered PDFs, kept in memory by the schedule's content hash."""

from __future__ import annotations

from collections import OrderedDict


class PdfCache:
    """The last few PDFs by content hash: an unchanged schedule is not re-rendered."""

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        pdf = self._items.get(key)
        if pdf is not None:
            self._items.move_to_end(key)
        return pdf

    def put(self, key: str, pdf: bytes) -> None:
        self._items[key] = pdf
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

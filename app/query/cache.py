"""A small bounded LRU for what the read-only database makes safe to keep: each cache belongs to
one app (or one engine), which serves one data version for its whole life, so an entry is never
stale."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LRU:
    """At most ``entries`` values and (for bytes) ``max_bytes`` in all; least recently used go
    first. Thread-safe: sync route handlers run in a thread pool."""

    def __init__(self, entries: int = 512, max_bytes: int = 64 * 2**20) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        size = _size(value)
        if size > self.max_bytes // 4:  # one huge answer must not flush everything else
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= _size(old)
            self._data[key] = value
            self.bytes += size
            while len(self._data) > self.entries or self.bytes > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self.bytes -= _size(dropped)

    def __len__(self) -> int:
        return len(self._data)


def _size(value: Any) -> int:
    if isinstance(value, tuple):
        return sum(_size(v) for v in value)
    return len(value) if isinstance(value, (bytes, str)) else 64

"""Decoding an answer's ``Content-Encoding`` chain in bounded steps, counting what comes out.

A proxy or a broken server may stack encodings (``Content-Encoding: gzip, gzip``): a few KB on the wire that a
one-step decoder would grow into GiBs before anyone could count them. Here every layer is a ``zlib``
decompressor asked for at most :data:`STEP` bytes at a time (``max_length``), each piece is handed to the next
layer at once, and the bytes every layer produced are counted against the cap: memory stays at a few steps per
layer, whatever the chain.

Encodings read: ``identity``, ``gzip`` (``x-gzip``) and ``deflate`` (zlib-wrapped or raw, as httpx reads it),
in any order, up to :data:`MAX_LAYERS` of them; the client asks for just these (:data:`ACCEPT_ENCODING`). Anything else is refused
with :class:`UnsupportedEncoding` rather than handed on undecoded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["ACCEPT_ENCODING", "MAX_LAYERS", "STEP", "ChainDecoder", "DecodedTooLarge", "UnsupportedEncoding"]

#: the ``Accept-Encoding`` the client sends: the encodings :class:`ChainDecoder` reads
ACCEPT_ENCODING = "gzip, deflate"
#: the most one layer hands on at a time
STEP = 64 * 1024
#: the longest chain read (a server encodes once, a proxy may add one more; 8 leaves room and bounds the work)
MAX_LAYERS = 8


class UnsupportedEncoding(ValueError):
    """The answer names a ``Content-Encoding`` this client does not read."""


class DecodedTooLarge(Exception):
    """A layer of the chain produced more than the cap; ``size`` is what it had produced."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _Layer:
    """One ``gzip`` or ``deflate`` layer: output in pieces of at most :data:`STEP` bytes."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.produced = 0
        self._raw_deflate_tried = False
        self._started = False
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)

    def _decompress(self, data: bytes) -> bytes:
        try:
            out = self._obj.decompress(data, STEP)
        except zlib.error:
            if self.encoding == "deflate" and not self._started and not self._raw_deflate_tried:
                # a "deflate" body without the zlib wrapper (some servers send raw deflate): start again raw
                self._raw_deflate_tried = True
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise
        self._started = True
        return out

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._obj.eof:  # bytes after the end of the stream are ignored, as httpx does
            return
        out = self._decompress(data)
        while True:
            if out:
                yield out
            if self._obj.eof:
                return
            tail = self._obj.unconsumed_tail
            if not tail and len(out) < STEP:
                return
            out = self._decompress(tail)
            if not out and not tail:
                return

    def finish(self) -> Iterator[bytes]:
        if not self._obj.eof:
            out = self._obj.flush()
            if out:
                yield out


class ChainDecoder:
    """Decodes a body sent with ``content_encoding`` (the header's value), chunk by chunk.

    :meth:`feed` and :meth:`finish` yield decoded pieces; a layer that produces more than ``cap`` bytes raises
    :class:`DecodedTooLarge`. The caller still counts the final bytes it keeps.
    """

    def __init__(self, content_encoding: str, cap: int) -> None:
        self.cap = cap
        self.layers: list[_Layer] = []
        # the header lists encodings in the order they were applied: decode the last one first
        names = [part.strip().lower() for part in content_encoding.split(",") if part.strip()]
        if len(names) > MAX_LAYERS:
            raise UnsupportedEncoding(f"a chain of {len(names)} encodings (at most {MAX_LAYERS} are read)")
        for name in reversed(names):
            if name == "identity":
                continue
            if name in ("gzip", "x-gzip"):
                self.layers.append(_Layer("gzip"))
            elif name == "deflate":
                self.layers.append(_Layer("deflate"))
            else:
                raise UnsupportedEncoding(name[:40])

    def _through(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if index == len(self.layers):
            yield from pieces
            return
        layer = self.layers[index]
        for piece in pieces:
            yield from self._through(index + 1, self._counted(layer, layer.feed(piece)))

    def _counted(self, layer: _Layer, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            layer.produced += len(piece)
            if layer.produced > self.cap:
                raise DecodedTooLarge(layer.produced)
            yield piece

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The decoded pieces of one chunk of the body as it travelled."""
        return self._through(0, iter((chunk,)))

    def finish(self) -> Iterator[bytes]:
        """What the layers still hold once the whole body went in (each layer's rest goes through the next)."""
        for index, layer in enumerate(self.layers):
            yield from self._through(index + 1, self._counted(layer, layer.finish()))

"""Content-Encoding chains decoded in bounded steps: the reference is Python's own gzip/zlib (the encoders), the
bound is checked on every piece, and a bomb stops at the cap long before its end."""

from __future__ import annotations

import gzip
import os
import time
import zlib

import pytest
from hostile_proxy import gzip_bomb

from vsphere_nb.content_decoding import STEP, ChainDecoder, DecodedTooLarge, UnsupportedEncoding

DATA = os.urandom(200_000) + b"x" * 3_000_000 + b'{"_typeName": "string", "_value": "esx01"}' * 5_000


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data)


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def decode(body: bytes, encoding: str, cap: int = 1 << 30, chunk: int = 4096) -> tuple[bytes, int]:
    decoder = ChainDecoder(encoding, cap)
    out: list[bytes] = []
    largest = 0
    for i in range(0, len(body), chunk):
        for piece in decoder.feed(body[i : i + chunk]):
            largest = max(largest, len(piece))
            out.append(piece)
    for piece in decoder.finish():
        largest = max(largest, len(piece))
        out.append(piece)
    return b"".join(out), largest


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("", lambda d: d),
        ("identity", lambda d: d),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZip", gzip.compress),
        ("deflate", _deflate),
        ("deflate", _raw_deflate),
        ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
        ("deflate, gzip", lambda d: gzip.compress(_deflate(d))),
        ("gzip,identity,deflate", lambda d: _raw_deflate(gzip.compress(d))),
        ("gzip, gzip, gzip, gzip", lambda d: gzip.compress(gzip.compress(gzip.compress(gzip.compress(d))))),
    ],
)
def test_every_chain_decodes_to_the_original_in_bounded_pieces(encoding, encode):
    body = encode(DATA)
    out, largest = decode(body, encoding)
    assert out == DATA
    assert largest <= max(STEP, 4096)  # never more than one step at a time (identity hands on the chunk as is)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br", "compress", ", ".join(["gzip"] * 9), "gzip," * 5000])
def test_an_encoding_this_client_does_not_ask_for_is_refused(encoding):
    with pytest.raises(UnsupportedEncoding):
        ChainDecoder(encoding, 1 << 20)


def test_a_stacked_gzip_bomb_stops_at_the_cap_at_once():
    body = gzip_bomb(2 << 30, layers=2)  # 2 GiB of zeros in a few KB
    assert len(body) < 16 * 1024
    cap = 8 << 20
    decoder = ChainDecoder("gzip, gzip", cap)
    started = time.perf_counter()
    kept = 0
    with pytest.raises(DecodedTooLarge) as info:
        for i in range(0, len(body), 1024):
            for piece in decoder.feed(body[i : i + 1024]):
                assert len(piece) <= STEP
                kept += len(piece)
        list(decoder.finish())
    assert cap < info.value.size <= cap + STEP
    assert kept <= cap
    assert time.perf_counter() - started < 2  # 8 MiB decoded, not 2 GiB


def test_a_layer_that_grows_past_the_cap_is_stopped_even_when_the_next_one_shrinks():
    """An intermediate layer is counted too: a gzip of a huge run of data that is itself not compressed would
    otherwise cost CPU without producing output the caller counts."""
    cap = 1 << 20
    inner = gzip.compress(b"\0" * (4 << 20))  # small
    padded = inner + b"\0" * (4 << 20)  # bytes after the end of the inner stream: the inner layer ignores them
    body = gzip.compress(padded)
    decoder = ChainDecoder("gzip, gzip", cap)
    with pytest.raises(DecodedTooLarge):
        list(decoder.feed(body))


def test_a_body_that_is_not_what_it_says_raises_a_zlib_error():
    decoder = ChainDecoder("gzip", 1 << 20)
    with pytest.raises(zlib.error):
        list(decoder.feed(b"this is not gzip at all"))

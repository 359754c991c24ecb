"""Undoing HTTP chunking and Docker's multiplexing, wherever the engine's writes and our reads
happen to split the bytes (the end-to-end shipper tests use the real engine, which cannot be
made to split them on purpose)."""
import struct

import pytest

from runtime.docker.logs import _dechunked, _entries


class Pieces:
    """A socket's reader that hands out the given pieces, one per read1, then end of stream."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def read1(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


class Response:
    def __init__(self, pieces: list[bytes], *, chunked: bool) -> None:
        self.raw = type("Raw", (), {"_fp": type("Fp", (), {"fp": Pieces(pieces), "chunked": chunked})()})()


def frame(text: bytes, stream: int = 1) -> bytes:
    return struct.pack(">BxxxL", stream, len(text)) + text


def chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


ENTRIES = [b"2026-11-23T10:00:00.1Z one\n", b"2026-11-23T10:00:00.2Z two\n", b"2026-11-23T10:00:00.3Z " + b"x" * 300]


def split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 7, 8, 9, 64, 10_000])
def test_entries_come_whole_however_the_chunked_body_is_split(size):
    # The engine writes an entry's header and text as one chunk, or (a stderr line) in two.
    body = chunked(frame(ENTRIES[0]), frame(ENTRIES[1], stream=2)[:5], frame(ENTRIES[1], stream=2)[5:], frame(ENTRIES[2]))
    assert list(_entries(Response(split_every(body, size), chunked=True))) == ENTRIES


@pytest.mark.parametrize("size", [1, 8, 33, 10_000])
def test_a_body_without_chunking_is_demultiplexed_the_same(size):
    body = b"".join(frame(entry) for entry in ENTRIES)
    assert list(_entries(Response(split_every(body, size), chunked=False))) == ENTRIES


def test_the_last_chunk_ends_the_stream_and_a_cut_entry_is_not_passed_on():
    body = chunked(frame(ENTRIES[0])) + b"5\r\nnever"
    assert list(_entries(Response([body], chunked=True))) == ENTRIES[:1]
    cut = chunked(frame(ENTRIES[0]), frame(ENTRIES[1])[:-3])
    assert list(_entries(Response([cut], chunked=True))) == ENTRIES[:1]


def test_chunk_extensions_are_ignored():
    assert list(_dechunked(Pieces([b"3;name=value\r\nabc\r\n0\r\n\r\n"]))) == [b"abc"]

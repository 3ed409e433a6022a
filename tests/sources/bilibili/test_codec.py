"""The framing codec, synchronously: bytes in, packets out (no event loop, no socket)."""

from __future__ import annotations

import json
import struct
import zlib

import brotli
import pytest

from roomwatch.sources.bilibili.codec import (
    PACKET_ERRORS,
    Decoder,
    Op,
    Packet,
    PacketError,
    Ver,
    auth_code,
    auth_packet,
    encode,
    heartbeat_packet,
)
from tests.sources.bilibili.server import brotli_batch, command, pack, unpack, zlib_batch


def bodies(items: list[Packet | PacketError]) -> list[object]:
    return [json.loads(p.body) if isinstance(p, Packet) else p.reason for p in items]


def test_the_client_packets_follow_the_description() -> None:
    op, version, body = unpack(auth_packet(2233, uid=7, key="k3y", buvid="b-1"))
    assert (op, version) == (7, 1)
    assert json.loads(body) == {
        "uid": 7,
        "roomid": 2233,
        "protover": 3,
        "platform": "web",
        "type": 2,
        "key": "k3y",
        "buvid": "b-1",
    }
    # Anonymous: no key or buvid at all.
    assert "key" not in json.loads(unpack(auth_packet(1))[2])
    assert heartbeat_packet() == struct.pack(">IHHII", 16, 16, 1, 2, 1)


def test_plain_packets_one_per_frame_and_merged_in_one_frame() -> None:
    decoder = Decoder()
    one, two = command({"cmd": "A"}), command({"cmd": "B"})
    assert bodies(decoder.feed(one)) == [{"cmd": "A"}]
    assert bodies(decoder.feed(one + two + one)) == [{"cmd": "A"}, {"cmd": "B"}, {"cmd": "A"}]
    assert decoder.pending == 0


def test_a_packet_split_byte_by_byte_comes_out_once_whole() -> None:
    decoder = Decoder()
    data = command({"cmd": "DANMU_MSG", "info": "长" * 50}) + command({"cmd": "B"})
    out: list[Packet | PacketError] = []
    for i in range(len(data)):
        out += decoder.feed(data[i : i + 1])
    assert bodies(out) == [{"cmd": "DANMU_MSG", "info": "长" * 50}, {"cmd": "B"}]
    assert decoder.pending == 0


@pytest.mark.parametrize("batch", [zlib_batch, brotli_batch], ids=["zlib", "brotli"])
def test_compressed_batches_are_unpacked_in_order(batch: object) -> None:
    assert callable(batch)
    packets = [command({"cmd": "C", "n": i}) for i in range(5)]
    data = batch(*packets) + command({"cmd": "after"})
    decoder = Decoder()
    # The batch split over two frames, the second one merged with the next packet.
    out = decoder.feed(data[:10]) + decoder.feed(data[10:])
    assert bodies(out) == [{"cmd": "C", "n": i} for i in range(5)] + [{"cmd": "after"}]
    assert all(isinstance(p, Packet) and p.op == Op.COMMAND for p in out)


def test_heartbeat_reply_carries_popularity_and_auth_reply_a_code() -> None:
    decoder = Decoder()
    reply, auth = decoder.feed(pack(3, (98765).to_bytes(4, "big"), 1) + pack(8, b'{"code":0}', 1))
    assert isinstance(reply, Packet) and reply.op == Op.HEARTBEAT_REPLY
    assert reply.popularity() == 98765
    assert isinstance(auth, Packet) and auth_code(auth) == 0
    assert auth_code(Packet(1, 8, 1, b'{"code":-101}')) == -101
    assert auth_code(Packet(1, 8, 1, b"nope")) is None
    assert Packet(1, 3, 1, b"").popularity() is None


def test_garbage_is_reported_in_place_and_decoding_goes_on() -> None:
    decoder = Decoder()
    good = command({"cmd": "ok"})
    out = decoder.feed(b"\xff" * 40)  # a header that can't be right: the frame is dropped
    out += decoder.feed(good)  # the next frame starts clean
    out += decoder.feed(pack(5, b"not zlib at all", Ver.ZLIB) + good)
    out += decoder.feed(pack(5, b"not brotli", Ver.BROTLI) + good)
    out += decoder.feed(pack(5, b"{}", 9) + good)  # unknown version
    out += decoder.feed(zlib_batch(zlib_batch(good)) + good)  # nested batch
    out += decoder.feed(pack(5, zlib.compress(good[:-3]), Ver.ZLIB) + good)  # truncated inside
    out += decoder.feed(pack(5, zlib.compress(good)[:-4], Ver.ZLIB) + good)  # ends early
    out += decoder.feed(pack(5, brotli.compress(good)[:-2], Ver.BROTLI) + good)
    assert bodies(out) == [
        "bad_header",
        {"cmd": "ok"},
        "bad_zlib",
        {"cmd": "ok"},
        "bad_brotli",
        {"cmd": "ok"},
        "unknown_version",
        {"cmd": "ok"},
        "nested_batch",
        {"cmd": "ok"},
        "truncated_batch",
        {"cmd": "ok"},
        "bad_zlib",
        {"cmd": "ok"},
        "bad_brotli",
        {"cmd": "ok"},
    ]
    assert all(p.reason in PACKET_ERRORS for p in out if isinstance(p, PacketError))


def test_sizes_are_bounded_no_decompression_bomb() -> None:
    decoder = Decoder(max_packet_bytes=1000)
    bomb = zlib.compress(command({"cmd": "x", "pad": "0" * 5000}))
    assert len(bomb) < 1000
    out = decoder.feed(pack(5, bomb, Ver.ZLIB))
    out += decoder.feed(pack(5, brotli.compress(b"\0" * 5000), Ver.BROTLI))
    out += decoder.feed(struct.pack(">IHHII", 50_000, 16, 0, 5, 1))  # claims 50 kB
    out += decoder.feed(struct.pack(">IHHII", 8, 16, 0, 5, 1))  # shorter than its header
    assert bodies(out) == ["too_large", "too_large", "too_large", "bad_header"]
    assert decoder.pending == 0


def test_a_partial_packet_is_pending_until_reset() -> None:
    decoder = Decoder()
    data = brotli_batch(command({"cmd": "x"}))
    assert decoder.feed(data[:-5]) == []
    assert decoder.pending == len(data) - 5
    decoder.reset()
    assert decoder.pending == 0
    assert bodies(decoder.feed(data)) == [{"cmd": "x"}]


def test_encode_round_trips() -> None:
    (packet,) = Decoder().feed(encode(Op.COMMAND, b'{"cmd":"X"}', version=Ver.JSON, seq=9))
    assert packet == Packet(0, 5, 9, b'{"cmd":"X"}')

#!/usr/bin/env python3
"""make_logo - the logo of the invoice example, a 256x256 RGB PNG.

usage: make_logo.py [OUT.png]     (default logo.png)

Draws a diagonal colour gradient with a red disc in a white ring and writes
it as a PNG with the standard library only (zlib and struct). The bytes
are the same on every run and every machine: this is the "invoice v1"
benchmark logo, and tests/e2e/test_invoice.py compares it with the
reference generator when that is at hand. The invoice template carries the
logo inline (base64); this is how to make it again.

SPDX-License-Identifier: MPL-2.0
"""
import struct
import sys
import zlib

WIDTH = HEIGHT = 256
CENTRE = 128
RING_OUTER = 80  # pixels, radius
RING_INNER = 68


def chunk(tag, data):
    """A PNG chunk: length, tag, data, CRC of tag and data."""
    head = struct.pack(">I", len(data)) + tag + data
    return head + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def pixels():
    """Scanlines, each led by filter type 0 (None), 3 bytes a pixel."""
    raw = bytearray()
    for y in range(HEIGHT):
        raw.append(0)
        for x in range(WIDTH):
            r, g, b = x, y, 255 - (x + y) // 2
            d2 = (x - CENTRE) ** 2 + (y - CENTRE) ** 2
            if d2 <= RING_OUTER ** 2:
                if d2 >= RING_INNER ** 2:
                    r, g, b = 255, 255, 255
                else:
                    r, g, b = 200, 30, 60
            raw += bytes((r, g, b))
    return bytes(raw)


def png():
    data = b"\x89PNG\r\n\x1a\n"
    # 8 bits per channel, colour type 2 (RGB), default compression and
    # filtering, no interlace.
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    data += chunk(b"IHDR", header)
    data += chunk(b"IDAT", zlib.compress(pixels(), 9))
    data += chunk(b"IEND", b"")
    return data


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "logo.png"
    with open(out, "wb") as f:
        f.write(png())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""gen_records - the records of the invoice example, as JSON Lines.

usage: gen_records.py N OUT.jsonl     (OUT.jsonl "-" writes standard output)

Writes N invoice records, numbered from 100001, one JSON object a line, for
`pdfpipe submit examples/invoice/template.json --records OUT.jsonl`. The
output depends on N only (fixed seed, standard library only): the same N
gives the same bytes on every machine, and record k of a larger file is
record k of a smaller one, so tests can predict what page k shows and
benchmarks are comparable. This is the "invoice v1" benchmark data; keep
the output byte for byte as it is (tests/e2e/test_invoice.py compares it
with the reference generator when that is at hand).

A record: number, date, customer and address (Korean), email, and 15 items
of desc, qty and unit_price. Amounts and the total are left to the
template to compute.

SPDX-License-Identifier: MPL-2.0
"""
import json
import random
import sys

SEED = 20121107
FIRST_NUMBER = 100001
ITEMS_PER_INVOICE = 15

FAMILY = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임",
          "한", "오", "서", "신", "권", "황", "안", "송", "류", "홍"]
GIVEN = ["민수", "서연", "지훈", "하은", "도윤", "서준", "지우", "수빈", "예준", "지민",
         "현우", "유진", "준호", "다은", "성민", "채원", "우진", "소윤", "태현", "은지"]
CITIES = [("서울특별시", ["강남구", "서초구", "마포구", "종로구", "송파구"]),
          ("부산광역시", ["해운대구", "수영구", "동래구"]),
          ("대구광역시", ["수성구", "중구"]),
          ("인천광역시", ["연수구", "남동구"]),
          ("경기도", ["성남시 분당구", "수원시 영통구", "고양시 일산동구"])]
ROADS = ["테헤란로", "강남대로", "세종대로", "올림픽로", "해운대로", "중앙대로",
         "판교역로", "월드컵북로", "광교로", "충장로"]
ADJ = ["Premium", "Compact", "Deluxe", "Standard", "Heavy-duty", "Wireless",
       "Portable", "Ergonomic", "Stainless", "Organic", "Smart", "Classic"]
NOUN = ["USB-C Cable 2m", "Office Chair", "Desk Lamp", "Coffee Beans 1kg",
        "Notebook A5 Pack", "Water Bottle", "Bluetooth Speaker", "Keyboard",
        "Monitor Stand", "Paper Towels x12", "Backpack 30L", "Cutting Board",
        "Wall Clock", "Mouse Pad XL"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.kr"]
LATIN = "abcdefghijklmnopqrstuvwxyz"


def record(rng, number):
    """One invoice. The order of the rng calls is the data: do not change
    it, or every record from here on changes."""
    name = rng.choice(FAMILY) + rng.choice(GIVEN)
    city, districts = rng.choice(CITIES)
    address = "%s %s %s %d, %d층" % (city, rng.choice(districts),
                                     rng.choice(ROADS), rng.randint(1, 999),
                                     rng.randint(1, 25))
    email = "%s%d@%s" % ("".join(rng.choice(LATIN)
                                 for _ in range(rng.randint(4, 9))),
                         rng.randint(1, 999), rng.choice(DOMAINS))
    items = []
    for _ in range(ITEMS_PER_INVOICE):
        desc = "%s %s" % (rng.choice(ADJ), rng.choice(NOUN))
        # Descriptions run to about 20-30 characters: short ones get a
        # model code, long ones are cut.
        if len(desc) < 20:
            desc += " (%s%d)" % (rng.choice("ABCDEFGHJK"), rng.randint(10, 99))
        desc = desc[:30]
        items.append({"desc": desc, "qty": rng.randint(1, 20),
                      "unit_price": rng.randint(1000, 99000)})
    return {"number": number, "date": "2026-11-25", "customer": name + " 고객님",
            "address": address, "email": email, "items": items}


def records(n):
    """The first n records, in order."""
    rng = random.Random(SEED)
    for index in range(n):
        yield record(rng, FIRST_NUMBER + index)


def write(n, out):
    for item in records(n):
        out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_records.py N OUT.jsonl")
    try:
        n = int(sys.argv[1])
    except ValueError:
        n = -1
    if n < 0:
        sys.exit("gen_records.py: N must be a whole number, got %r"
                 % sys.argv[1])
    if sys.argv[2] == "-":
        out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n",
                   closefd=False)
        with out:
            write(n, out)
    else:
        with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as out:
            write(n, out)


if __name__ == "__main__":
    main()

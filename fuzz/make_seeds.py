"""make_seeds - write the seed corpora of the fuzz targets (fuzz/corpus/).

The seeds are committed; run this again when the wire protocol or the job
document gains something the seeds should show the fuzzer:

    python3 fuzz/make_seeds.py

corpus/wire gets one well-formed message per command, and a few broken
ones, in fuzz_wire.c's framing (each frame preceded by its size, 2 bytes
big-endian). corpus/jobspec gets the job documents of docs/job-spec.md and
examples/, and small variants of them; corpus/docstream documents split
in the ways docstream splits them, and broken at the places it must
place an error.

The files named by a SHA-1 are inputs that fuzzing runs found and that
were kept with libFuzzer's -merge=1 (docs/operations.md, "Fuzzing"); this
script leaves them alone.

SPDX-License-Identifier: MPL-2.0
"""
import hashlib
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
JOB = "0123456789abcdef0123456789abcdef"


def u32(value):
    return struct.pack(">I", value)


def framed(frames):
    return b"".join(struct.pack(">H", len(f)) + f for f in frames)


def wire_seeds():
    sig = b"PDFPIPE/2"
    job = JOB.encode()
    pdf = b"%PDF-1.4\n%%EOF\n"
    template = b'{"elements":[{"type":"text","text":"{{name}}","x":1,"y":2}]}'
    messages = {
        "ready": [sig, b"READY", u32(1)],
        "heartbeat": [sig, b"HEARTBEAT", u32(0)],
        "chunk": [sig, b"CHUNK", job, u32(3), u32(1), u32(301), u32(100),
                  u32(1000), u32(10), hashlib.sha256(template).digest(),
                  template, b'[{"name":"a"}]'],
        "chunk_no_template": [sig, b"CHUNK", job, u32(4), u32(1), u32(401),
                              u32(100), u32(1000), u32(10),
                              hashlib.sha256(template).digest(), b"",
                              b'[{"name":"b"}]'],
        "template_miss": [sig, b"TEMPLATE_MISS", job, u32(4), u32(1),
                          hashlib.sha256(template).digest()],
        "result": [sig, b"RESULT", job, u32(3), u32(2), u32(301), u32(100),
                   u32(1000), u32(10), pdf],
        "chunk_failed": [sig, b"CHUNK_FAILED", job, u32(3), u32(1),
                         b"records[301]: missing field"],
        "cancel": [sig, b"CANCEL", job],
        "stored": [sig, b"STORED", job, u32(3), u32(100)],
        "job_state": [sig, b"JOB_STATE", job, b"merging"],
        "job_done": [sig, b"JOB_DONE", job, struct.pack(">Q", 123456789),
                     b"file:///var/lib/pdfpipe/out/x.pdf"],
        "job_failed": [sig, b"JOB_FAILED", job, b"merge failed"],
        "query": [sig, b"QUERY", job],
        "bad_version": [b"PDFPIPE/1", b"READY", u32(1)],
        "short_int": [sig, b"READY", b"\x00\x01"],
        "bad_job_id": [sig, b"CANCEL", b"../etc"],
        "nul_text": [sig, b"JOB_FAILED", job, b"a\x00b"],
    }
    out = os.path.join(HERE, "corpus", "wire")
    os.makedirs(out, exist_ok=True)
    for name, frames in messages.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(framed(frames))


def jobspec_seeds():
    out = os.path.join(HERE, "corpus", "jobspec")
    os.makedirs(out, exist_ok=True)
    docs = []
    with open(os.path.join(TOP, "docs", "job-spec.md")) as f:
        docs += re.findall(r"```json\n(.*?)```", f.read(), re.S)
    for root, _, files in os.walk(os.path.join(TOP, "examples")):
        for name in sorted(files):
            if name.endswith(".json"):
                with open(os.path.join(root, name)) as f:
                    docs.append(f.read())
    with open(os.path.join(TOP, "docs", "examples", "hello.json")) as f:
        docs.append(f.read())
    for number, text in enumerate(docs):
        with open(os.path.join(out, "doc-%02d.json" % number), "w") as f:
            f.write(text)
    small = {"version": 1, "chunk_pages": 2,
             "template": {"page": {"size": "A5", "orientation": "landscape"},
                          "elements": [{"type": "text",
                                        "text": "{{a}} {{b.c}} {{page}}/{{pages}}",
                                        "x": 10, "y": 20, "size": 8,
                                        "align": "right"}]},
             "records": [{"a": "x", "b": {"c": 1}}, {"a": "y", "b": {"c": 2}},
                         {"a": "z", "b": {"c": 3}}]}
    variants = {
        "small": small,
        "missing-field": dict(small, records=[{"a": "x"}]),
        "bad-version": dict(small, version=2),
        "not-object": [small],
    }
    for name, doc in variants.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(doc, f)
    with open(os.path.join(out, "deep.json"), "w") as f:
        f.write("[" * 70 + "]" * 70)


def docstream_seeds():
    """Documents as docstream splits them, and broken ones: each error
    docstream must place and rank as jsondoc does."""
    out = os.path.join(HERE, "corpus", "docstream")
    os.makedirs(out, exist_ok=True)
    seeds = {
        "members": '{"version": 1, "records": [{"a": 1}, [2], "x"], '
                   '"template": {"elements": []}}',
        "escaped-split": '{"rec\\u006frds": [{}], "records": "s3://b/k"}',
        "values": '\ufeff { "s" : "a\\"b" ,\n"n":-1.5e2,"t":true,'
                  '"o":{"k":[1,{"]":"}"}]}}',
        "not-object": "[1, 2]",
        "key-quote": "{'version': 1}",
        "trailing-comma": '{"records": [1,]}',
        "mismatch": '{"records": [{"a": [1, 2}]}',
        "cut": '{"records": [{"a": 1',
        "after-end": '{"a": 1}{"a": 1}',
        "empty": "  \n",
        "bom": "\ufeff\ufeff{}",
    }
    for name, text in seeds.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(text)
    with open(os.path.join(out, "deep.json"), "w") as f:
        f.write('{"records": [' + "[" * 70 + "]" * 70 + "]}")


if __name__ == "__main__":
    wire_seeds()
    jobspec_seeds()
    docstream_seeds()

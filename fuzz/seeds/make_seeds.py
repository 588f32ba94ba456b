#!/usr/bin/env python3
"""Regenerates the hand-made seeds in fuzz/seeds/ipp_decode and fuzz/seeds/http_request.

Run from anywhere: `python3 fuzz/seeds/make_seeds.py`. The `fixture-*` seeds are
copies of fixtures/ipp/wire/ recordings (the .http ones wrap a recording in a
POST) and are not written by this script; `crash-*` files are inputs that once
crashed a fuzz target and must stay.
"""
import struct, os
os.chdir(os.path.dirname(os.path.abspath(__file__)))
def attr(tag, name, value):
    if isinstance(value, str): value = value.encode()
    return bytes([tag]) + struct.pack(">H", len(name)) + name.encode() + struct.pack(">H", len(value)) + value
def addl(tag, value):
    if isinstance(value, str): value = value.encode()
    return bytes([tag]) + struct.pack(">H", 0) + struct.pack(">H", len(value)) + value
def op(opid, rid, extra=b"", job=b""):
    b = bytes([2, 0]) + struct.pack(">HI", opid, rid) + b"\x01"
    b += attr(0x47, "attributes-charset", "utf-8")
    b += attr(0x48, "attributes-natural-language", "en")
    b += attr(0x45, "printer-uri", "ipp://localhost/ipp/print")
    b += extra
    if job: b += b"\x02" + job
    return b + b"\x03"
gpa_all = op(0x0B, 1, attr(0x44, "requested-attributes", "all"))
gpa_state = op(0x0B, 2, attr(0x44, "requested-attributes", "printer-state") + addl(0x44, "printer-state-reasons"))
doc = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
print_job = op(0x02, 3, attr(0x42, "requesting-user-name", "fuzz") + attr(0x42, "job-name", "seed") + attr(0x49, "document-format", "application/pdf"),
               job=attr(0x21, "copies", struct.pack(">i", 1)) +
               # media-col collection: begCollection, memberAttrName, nested keyword, endCollection
               attr(0x34, "media-col", b"") + addl(0x4A, "media-size-name") + addl(0x44, "iso_a4_210x297mm") + addl(0x37, b""))
create_job = op(0x05, 4, attr(0x42, "requesting-user-name", "fuzz"), job=attr(0x44, "sides", "two-sided-long-edge"))
get_jobs = op(0x0A, 5, attr(0x44, "which-jobs", "all") + attr(0x21, "limit", struct.pack(">i", 10)))
# malformed: a name length running past the end, and a value tag with no end tag
malformed = bytes([2, 0, 0, 0x0B, 0, 0, 0, 6, 0x01, 0x47, 0x00, 0x40]) + b"attributes-charset"
no_end = op(0x0B, 7)[:-1]
bad_tag = bytes([1, 1, 0, 0x0B, 0, 0, 0, 8, 0x01, 0x7F]) + struct.pack(">I", 0x4000_0001) + b"\x00\x01a\x00\x00\x03"
ipp = {"gpa-all.ipp": gpa_all, "gpa-state.ipp": gpa_state, "print-job-pdf.ipp": print_job + doc,
       "create-job.ipp": create_job, "get-jobs.ipp": get_jobs, "malformed-name-length.ipp": malformed,
       "no-end-tag.ipp": no_end, "extension-tag.ipp": bad_tag}
os.makedirs("ipp_decode", exist_ok=True); os.makedirs("http_request", exist_ok=True)
for k, v in ipp.items(): open("ipp_decode/" + k, "wb").write(v)
def post(body, extra=""):
    return (f"POST /ipp/print HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/ipp\r\n{extra}Content-Length: {len(body)}\r\n\r\n").encode() + body
def chunked(body, n=37):
    out = b""
    for i in range(0, len(body), n):
        c = body[i:i+n]; out += f"{len(c):x}\r\n".encode() + c + b"\r\n"
    return out + b"0\r\n\r\n"
import gzip
http = {
  "gpa-all.http": post(gpa_all),
  "gpa-state-keepalive-twice.http": post(gpa_state) + post(gpa_state, "Connection: close\r\n"),
  "print-job-pdf.http": post(print_job + doc),
  "print-job-chunked.http": b"POST /ipp/print HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/ipp\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(print_job + doc),
  "print-job-gzip.http": post(gzip.compress(print_job + doc, mtime=0), "Content-Encoding: gzip\r\n"),
  "create-job.http": post(create_job),
  "get-jobs.http": post(get_jobs),
  "malformed-ipp.http": post(malformed),
  "short-content-length.http": post(gpa_all)[:-20],
  "bad-request-line.http": b"POST /ipp/print HTTP/1.1 extra\r\nContent-Length: zz\r\n\r\n\x02\x00",
  "get-root.http": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
  "expect-continue.http": post(gpa_state, "Expect: 100-continue\r\n"),
}
for k, v in http.items(): open("http_request/" + k, "wb").write(v)

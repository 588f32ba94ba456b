#!/usr/bin/env python3
"""Record raw IPP messages between real clients and ippeveprinter.

Started by scripts/record-ipp-fixtures.sh, which also starts a private D-Bus
and ippeveprinter. This script:

1. runs a logging TCP proxy on 127.0.0.1 in front of ippeveprinter;
2. drives real clients through it: ipptool with stock test files (and two
   small inline ones) and the CUPS `ipp` backend;
3. splits each connection's bytes into HTTP messages (Content-Length and
   chunked bodies, gzip/deflate Content-Encoding, 100-continue), cuts each
   IPP message after its end-of-attributes tag (0x03), so a request's document
   data is not kept, and writes the chosen ones to fixtures/ipp/wire/*.ipp;
4. decodes ippeveprinter's Get-Printer-Attributes response into typed JSON
   (fixtures/ipp/ippeveprinter-gpa-all.json), because `ipptool -j` loses the
   value tags and, in CUPS 2.4.2, writes invalid JSON (trailing commas);
5. writes fixtures/ipp/wire/README.md saying how each file was recorded.

Only loopback addresses are used.
"""

import argparse
import base64
import datetime
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

OPERATIONS = {
    0x0002: "print-job", 0x0003: "print-uri", 0x0004: "validate-job", 0x0005: "create-job",
    0x0006: "send-document", 0x0007: "send-uri", 0x0008: "cancel-job",
    0x0009: "get-job-attributes", 0x000A: "get-jobs", 0x000B: "get-printer-attributes",
    0x000C: "hold-job", 0x000D: "release-job", 0x0039: "cancel-my-jobs", 0x003B: "close-job",
    0x003C: "identify-printer",
}
STATUS = {
    0x0000: "successful-ok", 0x0001: "successful-ok-ignored-or-substituted-attributes",
    0x0400: "client-error-bad-request", 0x0406: "client-error-not-found",
    0x040A: "client-error-document-format-not-supported",
    0x040B: "client-error-attributes-or-values-not-supported",
    0x0501: "server-error-operation-not-supported", 0x0507: "server-error-busy",
}
DELIMITERS = {
    0x01: "operation-attributes-tag", 0x02: "job-attributes-tag", 0x04: "printer-attributes-tag",
    0x05: "unsupported-attributes-tag", 0x06: "subscription-attributes-tag",
    0x07: "event-notification-attributes-tag", 0x09: "document-attributes-tag",
}
SYNTAX = {
    0x10: "unsupported", 0x12: "unknown", 0x13: "no-value", 0x21: "integer", 0x22: "boolean",
    0x23: "enum", 0x30: "octetString", 0x31: "dateTime", 0x32: "resolution",
    0x33: "rangeOfInteger", 0x34: "collection", 0x35: "textWithLanguage",
    0x36: "nameWithLanguage", 0x41: "textWithoutLanguage", 0x42: "nameWithoutLanguage",
    0x44: "keyword", 0x45: "uri", 0x46: "uriScheme", 0x47: "charset", 0x48: "naturalLanguage",
    0x49: "mimeMediaType", 0x4A: "memberAttrName",
}


# --------------------------------------------------------------------------
# IPP decoding
# --------------------------------------------------------------------------

def ipp_end(data):
    """Offset just past the end-of-attributes tag (0x03) of an IPP message."""
    pos = 8
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == 0x03:
            return pos
        if tag < 0x10:
            continue  # another group delimiter
        if tag == 0x7F:
            pos += 4  # extension: the real tag follows
        name_len = struct.unpack_from(">H", data, pos)[0]
        pos += 2 + name_len
        value_len = struct.unpack_from(">H", data, pos)[0]
        pos += 2 + value_len
    raise ValueError("no end-of-attributes tag")


def decode_value(tag, raw):
    """A JSON-friendly value for one IPP value."""
    if tag in (0x10, 0x12, 0x13):
        return {"out-of-band": SYNTAX[tag]}
    if tag in (0x21, 0x23):
        return struct.unpack(">i", raw)[0]
    if tag == 0x22:
        return raw != b"\x00"
    if tag == 0x31:
        y, mo, d, h, mi, s, ds, sign, zh, zm = struct.unpack(">HBBBBBBcBB", raw)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%d%s%02d:%02d" % (
            y, mo, d, h, mi, s, ds, sign.decode(), zh, zm)
    if tag == 0x32:
        x, y, units = struct.unpack(">iib", raw)
        return {"xres": x, "yres": y, "units": {3: "dpi", 4: "dpcm"}.get(units, units)}
    if tag == 0x33:
        lower, upper = struct.unpack(">ii", raw)
        return {"lower": lower, "upper": upper}
    if tag in (0x35, 0x36):
        n = struct.unpack_from(">H", raw)[0]
        lang = raw[2:2 + n].decode()
        m = struct.unpack_from(">H", raw, 2 + n)[0]
        return {"language": lang, "text": raw[4 + n:4 + n + m].decode()}
    if tag == 0x30:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode()}
    if 0x40 <= tag <= 0x5F:
        return raw.decode("utf-8", "replace")
    return {"tag": tag, "base64": base64.b64encode(raw).decode()}


def read_tlvs(data):
    """The group delimiters ((tag,)) and attributes ((tag, name, raw value))
    of an IPP message, up to its end-of-attributes tag."""
    pos, items = 8, []
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == 0x03:
            break
        if tag < 0x10:
            items.append((tag,))
            continue
        if tag == 0x7F:
            tag = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        n = struct.unpack_from(">H", data, pos)[0]
        name = data[pos + 2:pos + 2 + n].decode()
        pos += 2 + n
        m = struct.unpack_from(">H", data, pos)[0]
        items.append((tag, name, data[pos + 2:pos + 2 + m]))
        pos += 2 + m
    return items


def add_value(target, name, tag, value):
    """Appends a value to target[name], keeping its syntax (a list of
    syntaxes when an attribute mixes them, e.g. keyword|name)."""
    syntax = SYNTAX.get(tag, hex(tag))
    entry = target.setdefault(name, {"syntax": syntax, "values": []})
    if entry["syntax"] != syntax and not isinstance(entry["syntax"], list):
        entry["syntax"] = [entry["syntax"]] * len(entry["values"])
    if isinstance(entry["syntax"], list):
        entry["syntax"].append(syntax)
    entry["values"].append(value)


def read_collection(items, i):
    """Decodes collection members from items[i] to the matching
    endCollection; returns (members, index after it)."""
    members, member = {}, None
    while True:
        tag, _, raw = items[i]
        i += 1
        if tag == 0x37:
            return members, i
        if tag == 0x4A:
            member = raw.decode()
            continue
        if tag == 0x34:
            value, i = read_collection(items, i)
        else:
            value = decode_value(tag, raw)
        add_value(members, member, tag, value)


def decode_ipp(data):
    """Decodes an IPP message into a dict with version, code, request-id and
    groups; each group maps attribute names to {syntax, values}."""
    version = "%d.%d" % (data[0], data[1])
    code, request_id = struct.unpack_from(">Hi", data, 2)
    items = read_tlvs(data)
    groups, attrs, current, i = [], None, None, 0
    while i < len(items):
        item = items[i]
        i += 1
        if len(item) == 1:
            attrs = {}
            groups.append({"group": DELIMITERS.get(item[0], hex(item[0])), "attributes": attrs})
            continue
        tag, name, raw = item
        if name:
            current = name  # an empty name adds a value to the previous attribute
        if tag == 0x34:
            value, i = read_collection(items, i)
        else:
            value = decode_value(tag, raw)
        add_value(attrs, current, tag, value)
    return {"version": version, "code": code, "request-id": request_id, "groups": groups}


# --------------------------------------------------------------------------
# HTTP stream splitting
# --------------------------------------------------------------------------

def split_http(stream):
    """Splits one direction of a connection into (start line, headers, body)."""
    messages = []
    pos = 0
    while pos < len(stream):
        end = stream.find(b"\r\n\r\n", pos)
        if end < 0:
            break
        head = stream[pos:end].decode("latin-1").split("\r\n")
        pos = end + 4
        start, headers = head[0], {}
        for line in head[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        if start.startswith("HTTP/") and start.split()[1].startswith("1"):
            continue  # 100 Continue: no body
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                line_end = stream.index(b"\r\n", pos)
                size = int(stream[pos:line_end].split(b";")[0], 16)
                pos = line_end + 2
                if size == 0:
                    trailer_end = stream.index(b"\r\n", pos)  # (no trailers expected)
                    pos = trailer_end + 2
                    break
                body += stream[pos:pos + size]
                pos += size + 2
        elif "content-length" in headers:
            n = int(headers["content-length"])
            body, pos = stream[pos:pos + n], pos + n
        elif start.startswith("HTTP/"):
            body, pos = stream[pos:], len(stream)
        encoding = headers.get("content-encoding", "identity").lower()
        if encoding == "gzip":
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        messages.append((start, headers, body))
    return messages


# --------------------------------------------------------------------------
# Logging proxy
# --------------------------------------------------------------------------

class Proxy:
    """Forwards 127.0.0.1:<port> to 127.0.0.1:<target>, keeping both byte
    streams of every connection, labelled with the current step."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.step = None
        self.connections = []  # dicts: step, c2s, s2c
        self.active = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.target))
            record = {"step": self.step, "c2s": bytearray(), "s2c": bytearray()}
            with self.lock:
                self.connections.append(record)
                self.active += 2
            for src, dst, key in ((client, server, "c2s"), (server, client, "s2c")):
                threading.Thread(target=self._pump, args=(src, dst, record, key), daemon=True).start()

    def _pump(self, src, dst, record, key):
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                record[key] += chunk
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            with self.lock:
                self.active -= 1

    def wait_quiet(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.active == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("proxy: connections still open after %ss" % timeout)

    def exchanges(self, step):
        """(request IPP, response IPP) pairs of a step, in order."""
        pairs = []
        for record in self.connections:
            if record["step"] != step:
                continue
            requests = split_http(bytes(record["c2s"]))
            responses = split_http(bytes(record["s2c"]))
            for (_, _, req), (status, _, resp) in zip(requests, responses):
                if not req:
                    continue  # e.g. a GET
                pairs.append((req[:ipp_end(req)], resp[:ipp_end(resp)] if resp else b"", status))
        return pairs


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------

def run(cmd, cwd, env=None, check=True):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0 and "-t" not in cmd:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))
    return result


def wait_idle(uri, workdir):
    """Polls printer-state directly (not through the proxy) until idle."""
    test = os.path.join(workdir, "state.test")
    with open(test, "w") as f:
        f.write('{\n NAME "state"\n OPERATION Get-Printer-Attributes\n GROUP operation-attributes-tag\n'
                ' ATTR charset attributes-charset utf-8\n ATTR naturalLanguage attributes-natural-language en\n'
                ' ATTR uri printer-uri $uri\n ATTR keyword requested-attributes printer-state\n'
                ' STATUS successful-ok\n EXPECT printer-state WITH-VALUE 3\n}\n')
    deadline = time.time() + 30
    while time.time() < deadline:
        if "[PASS]" in run(["ipptool", "-t", uri, test], workdir, check=False).stdout:
            return
        time.sleep(0.2)
    raise SystemExit("printer not idle after 30 s")


INLINE_GJA = """{
  NAME "Get-Job-Attributes"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR name requesting-user-name $user
  STATUS successful-ok
  STATUS client-error-not-found
}
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--printer-port", type=int, required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--backend", required=True)
    args = parser.parse_args()

    repo = args.repo
    wire = os.path.join(repo, "fixtures/ipp/wire")
    docs = os.path.join(repo, "fixtures/documents")
    os.makedirs(wire, exist_ok=True)
    direct = "ipp://127.0.0.1:%d/ipp/print" % args.printer_port
    proxy = Proxy(args.printer_port)
    via = "ipp://127.0.0.1:%d/ipp/print" % proxy.port
    work = tempfile.mkdtemp(prefix="record-ipp-")
    for name in os.listdir("/usr/share/cups/ipptool"):
        if name.endswith(".test"):
            with open(os.path.join("/usr/share/cups/ipptool", name), "rb") as src, \
                    open(os.path.join(work, name), "wb") as dst:
                dst.write(src.read())
    with open(os.path.join(work, "gja.test"), "w") as f:
        f.write(INLINE_GJA)
    # get-jobs.test plus which-jobs=completed, so the response lists the jobs
    # printed before (the printer is idle between steps).
    with open(os.path.join(work, "get-jobs.test")) as src, open(os.path.join(work, "gj.test"), "w") as dst:
        dst.write(src.read().replace(
            "\tATTR keyword requested-attributes",
            "\tATTR keyword which-jobs completed\n\tATTR keyword requested-attributes", 1))
    pdf = os.path.join(docs, "document-letter.pdf")
    ipptool_version = run(["ipptool", "--version"], work, check=False).stdout.strip() or "CUPS 2.4.2"
    today = datetime.date.today().isoformat()

    # step name -> (client, command, [(request file, response file)...])
    steps = [
        ("gpa", "ipptool", ["ipptool", "-t", via, "get-printer-attributes.test"],
         [("ipptool-gpa-all-request.ipp", "ippeveprinter-gpa-all-response.ipp")]),
        ("print", "ipptool", ["ipptool", "-t", "-f", pdf, via, "print-job.test"],
         [("ipptool-print-job-request.ipp", "ippeveprinter-print-job-response.ipp")]),
        ("gja", "ipptool", ["ipptool", "-t", "-d", "job_id=1", via, "gja.test"],
         [("ipptool-get-job-attributes-request.ipp", "ippeveprinter-get-job-attributes-response.ipp")]),
        ("get-jobs", "ipptool", ["ipptool", "-t", via, "gj.test"],
         [("ipptool-get-jobs-request.ipp", "ippeveprinter-get-jobs-response.ipp")]),
        ("create", "ipptool", ["ipptool", "-t", "-f", pdf, via, "create-job.test"],
         [("ipptool-create-job-request.ipp", "ippeveprinter-create-job-response.ipp"),
          ("ipptool-send-document-request.ipp", "ippeveprinter-send-document-response.ipp")]),
        ("media-col", "ipptool", ["ipptool", "-t", "-f", pdf, via, "print-job-media-col.test"],
         [("ipptool-print-job-media-col-request.ipp",
           "ippeveprinter-print-job-media-col-error-response.ipp")]),
        ("not-found", "ipptool", ["ipptool", "-t", "-d", "job_id=9999", via, "gja.test"],
         [("ipptool-get-job-attributes-not-found-request.ipp",
           "ippeveprinter-get-job-attributes-not-found-error-response.ipp")]),
    ]
    readme_rows = []
    gpa_response = None
    for step, client, cmd, names in steps:
        wait_idle(direct, work)
        proxy.step = step
        run(cmd, work, check=False)
        proxy.wait_quiet()
        pairs = proxy.exchanges(step)
        if len(pairs) < len(names):
            raise SystemExit("step %s: %d exchanges, wanted %d" % (step, len(pairs), len(names)))
        shown = " ".join(os.path.basename(c) if c == pdf else c for c in cmd).replace(via, "ipp://127.0.0.1:PROXY/ipp/print")
        for (req_name, resp_name), (req, resp, _) in zip(names, pairs):
            for fname, data, who in ((req_name, req, client), (resp_name, resp, "ippeveprinter")):
                with open(os.path.join(wire, fname), "wb") as f:
                    f.write(data)
                readme_rows.append((fname, who, shown, len(data), describe(data, fname.endswith("-request.ipp"))))
            if step == "gpa":
                gpa_response = resp

    # The CUPS ipp backend: every distinct operation it sends, first instance.
    wait_idle(direct, work)
    proxy.step = "backend"
    env = dict(os.environ, DEVICE_URI=via, CONTENT_TYPE="application/pdf", TMPDIR=work)
    result = run([args.backend, "1", "alice", "title", "1", "", pdf], work, env=env, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-3000:])
        raise SystemExit("the ipp backend failed")
    proxy.wait_quiet()
    seen = set()
    backend_cmd = "DEVICE_URI=ipp://127.0.0.1:PROXY/ipp/print CONTENT_TYPE=application/pdf ipp 1 alice title 1 '' document-letter.pdf"
    for req, _, _ in proxy.exchanges("backend"):
        op = OPERATIONS.get(struct.unpack_from(">H", req, 2)[0], "op-%04x" % struct.unpack_from(">H", req, 2)[0])
        if op in seen:
            continue
        seen.add(op)
        fname = "cups-ipp-backend-%s-request.ipp" % op
        with open(os.path.join(wire, fname), "wb") as f:
            f.write(req)
        readme_rows.append((fname, "CUPS ipp backend", backend_cmd, len(req), describe(req, True)))

    # Typed JSON of the Get-Printer-Attributes response.
    decoded = decode_ipp(gpa_response)
    decoded = {
        "source": "ippeveprinter (%s) -2 -f application/pdf,image/jpeg,image/pwg-raster,image/urf "
                  "\"Peer\", Get-Printer-Attributes requested-attributes=all,media-col-database "
                  "(ipptool get-printer-attributes.test), recorded %s by scripts/record-ipp-fixtures.sh; "
                  "raw bytes: wire/ippeveprinter-gpa-all-response.ipp. The port in URIs is the "
                  "recording proxy's." % (ipptool_version, today),
        "status": STATUS.get(decoded["code"], hex(decoded["code"])),
        **decoded,
    }
    with open(os.path.join(repo, "fixtures/ipp/ippeveprinter-gpa-all.json"), "w") as f:
        json.dump(decoded, f, indent=1, ensure_ascii=False)
        f.write("\n")

    write_readme(wire, readme_rows, ipptool_version, today)
    print("recorded %d files into %s" % (len(readme_rows), wire))


def describe(data, is_request):
    code = struct.unpack_from(">H", data, 2)[0]
    name = OPERATIONS.get(code, hex(code)) if is_request else STATUS.get(code, "0x%04x" % code)
    return "IPP/%d.%d %s" % (data[0], data[1], name)


def deb_version(package):
    """The installed Debian version of a package, or "unknown"."""
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def write_readme(wire, rows, version, today):
    lines = [
        "# Recorded IPP messages",
        "",
        "Raw IPP messages captured on loopback by `scripts/record-ipp-fixtures.sh` (a logging",
        "TCP proxy, `scripts/record-ipp-fixtures.py`, between the client and `ippeveprinter`).",
        "HTTP is stripped (Content-Length and chunked bodies decoded) and every message is cut",
        "just after its end-of-attributes tag (0x03): requests that carry a document keep",
        "only their IPP part. URIs inside carry the proxy's port, whatever it was.",
        "",
        "Printer: `ippeveprinter -r off -n localhost -k -c /bin/true -2 -f",
        "application/pdf,image/jpeg,image/pwg-raster,image/urf \"Peer\"` (%s, Debian 12)," % version,
        "fresh for each recording, so the Print-Job below is job 1.",
        "`.test` files are the stock ones in /usr/share/cups/ipptool/; `gja.test` is an inline",
        "Get-Job-Attributes of job `$job_id`, `gj.test` is get-jobs.test plus `which-jobs=completed`",
        "(see the .py). `-f` document: fixtures/documents/document-letter.pdf.",
        "",
        "Clients: ipptool from cups-ipp-utils %s; the CUPS `ipp` backend from cups-daemon %s" % (
            deb_version("cups-ipp-utils"), deb_version("libcups2")),
        "(extracted, not installed, by scripts/install-peers.sh; run without cupsd).",
        "",
        "Recorded %s." % today,
        "",
        "| file | client | command | message | bytes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fname, who, cmd, size, desc in rows:
        lines.append("| `%s` | %s | `%s` | %s | %d |" % (fname, who, cmd, desc, size))
    lines.append("")
    with open(os.path.join(wire, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()

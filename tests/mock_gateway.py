#!/usr/bin/env python3
"""A mock SMS gateway for pam_smsotp's tests and demo.

Listens on 127.0.0.1 (a free port chosen by the kernel), writes the port to
--port-file once it listens, and appends one JSON object per request to --log:

    {"method", "path", "query", "headers", "body", "form", "json", "time"}

query and form map each field to a string (a list when it is repeated);
headers are keyed by their lower-case names; json is the parsed body or null.
Each line is flushed as soon as the request has been read, before the answer
(so a hanging answer still shows the request).

How it answers is set by the options; see --help.  It never talks to anything
but 127.0.0.1 and exits by itself after --lifetime seconds and on SIGTERM or
SIGINT, so a test cannot leave it behind.

Python 3 standard library only.
"""

import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1024 * 1024


def flatten(pairs):
    """parse_qsl pairs -> {name: value, or [values] when repeated}."""
    out = {}
    for name, value in pairs:
        if name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


def mask(phone):
    """+447700900123 -> +44*******123, as the module masks numbers."""
    if not phone:
        return "?"
    digits = phone[1:] if phone.startswith("+") else phone
    if len(digits) <= 5:
        return phone
    return "+" + digits[:2] + "*" * (len(digits) - 5) + digits[-3:]


def spaced(phone):
    """+447700900123 -> +44 7700 900123, as a gateway may echo a number."""
    plus = "+" if phone.startswith("+") else ""
    d = phone[1:] if plus else phone
    if len(d) <= 6:
        return phone
    return plus + d[:2] + " " + d[2:6] + " " + d[6:]


def echo_answer(entry):
    """--echo-body: an error answer that echoes the request, the number
    reformatted (so that no secret matches it) and the text as it came."""
    to = find_field(entry, ("to", "To", "phone", "recipient", "msisdn")) or ""
    text = find_field(entry, ("text", "message", "Body", "body", "msg"))
    if text is None:
        text = entry.get("body", "")
    return json.dumps({"error": "invalid to %s for text %s" % (spaced(to), text),
                       "request": entry.get("body", "")})


def find_field(record, names):
    """The first of names found in the JSON body, the form or the query."""
    for source in (record.get("json"), record.get("form"), record.get("query")):
        if not isinstance(source, dict):
            continue
        for name in names:
            value = source.get(name)
            if isinstance(value, list):
                value = value[-1] if value else None
            if isinstance(value, (str, int, float)):
                return str(value)
    return None


class Gateway:
    """Shared state: options, the request counter, the log."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.count = 0
        self.log = open(opts.log, "a", encoding="utf-8") if opts.log else None
        self.responses = []
        if opts.responses:
            for item in opts.responses.split(","):
                item = item.strip()
                if item:
                    self.responses.append(int(item))
        if opts.body_file:
            with open(opts.body_file, encoding="utf-8") as f:
                opts.body = f.read()
        self.bodies = []
        if opts.bodies:
            self.bodies = json.loads(opts.bodies)
            if not isinstance(self.bodies, list) or not all(isinstance(b, str) for b in self.bodies):
                raise SystemExit("--bodies must be a JSON array of strings")

    def record(self, entry):
        """Log one request; returns its 0-based sequence number."""
        with self.lock:
            n = self.count
            self.count += 1
            if self.log is not None:
                self.log.write(json.dumps(entry, sort_keys=True) + "\n")
                self.log.flush()
        return n

    def status_for(self, n):
        if self.responses:
            return self.responses[min(n, len(self.responses) - 1)]
        return self.opts.status

    def body_for(self, n):
        if self.bodies:
            return self.bodies[min(n, len(self.bodies) - 1)]
        return self.opts.body

    def display(self, entry):
        """--sms-display: show the SMS as a phone would."""
        to = find_field(entry, ("to", "To", "phone", "recipient", "msisdn"))
        text = find_field(entry, ("text", "message", "Body", "body", "msg"))
        if text is None:
            text = entry.get("body", "")
        line = "\U0001F4F1 SMS to %s: %s\n" % (mask(to), text)
        try:
            sys.stderr.buffer.write(line.encode("utf-8", "replace"))
            sys.stderr.buffer.flush()
        except (OSError, ValueError):
            pass


class Handler(BaseHTTPRequestHandler):
    server_version = "mock-sms-gateway/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # keep stderr for --sms-display
        if self.server.gateway.opts.verbose:
            sys.stderr.write("mock_gateway: " + (fmt % args) + "\n")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while len(data) <= MAX_BODY:
                size_line = self.rfile.readline(1024)
                if not size_line:
                    break
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline(1024)
                    break
                data += self.rfile.read(size)
                self.rfile.readline(1024)
            return data
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(max(length, 0), MAX_BODY)) if length else b""

    def handle_any(self):
        gw = self.server.gateway
        raw = self.read_body()
        body = raw.decode("utf-8", "replace")
        url = urllib.parse.urlsplit(self.path)
        ctype = self.headers.get("Content-Type", "")
        entry = {
            "method": self.command,
            "path": url.path,
            "query": flatten(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "form": None,
            "json": None,
            "time": time.time(),
        }
        if ctype.lower().startswith("application/x-www-form-urlencoded"):
            entry["form"] = flatten(urllib.parse.parse_qsl(body, keep_blank_values=True))
        if body.strip():
            try:
                entry["json"] = json.loads(body)
            except ValueError:
                entry["json"] = None
        n = gw.record(entry)
        if gw.opts.sms_display:
            gw.display(entry)

        if gw.opts.hang > 0:
            time.sleep(gw.opts.hang)
        if gw.opts.garbage:
            try:
                self.wfile.write(b"\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n")
                self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True
            return

        status = gw.status_for(n)
        answer = echo_answer(entry) if gw.opts.echo_body else gw.body_for(n)
        out = answer.encode("utf-8")
        if gw.opts.drip > 0:
            self.drip(status, out)
            return
        self.send_response(status)
        if gw.opts.content_type:
            self.send_header("Content-Type", gw.opts.content_type)
        else:
            try:
                json.loads(answer)
                self.send_header("Content-Type", "application/json")
            except ValueError:
                self.send_header("Content-Type", "text/plain")
        if status in (429, 503) and gw.opts.retry_after is not None:
            self.send_header("Retry-After", gw.opts.retry_after)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)
        self.close_connection = True

    def drip(self, status, out):
        """--drip: the whole answer (status line, headers, body), one byte
        every --drip seconds, until it is sent or the client goes away."""
        head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n"
                % (status, self.responses.get(status, ("",))[0], len(out)))
        data = head.encode("latin-1") + out
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(self.server.gateway.opts.drip)
        except OSError:
            pass
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, gateway, tls_ctx):
        self.gateway = gateway
        self.tls_ctx = tls_ctx
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        # TLS is set up here, in the connection's own thread, so that a
        # client stuck in the handshake cannot block the accept loop.
        if self.tls_ctx is not None:
            request.settimeout(30)
            try:
                request = self.tls_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write("mock_gateway: TLS handshake failed: %s\n" % e)
                try:
                    request.close()
                except OSError:
                    pass
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        if self.gateway.opts.verbose:
            super().handle_error(request, client_address)


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Mock SMS gateway for pam_smsotp tests.")
    p.add_argument("--port-file", required=True, help="file to write the port to, once listening")
    p.add_argument("--log", help="append one JSON line per request here")
    p.add_argument("--status", type=int, default=200, help="HTTP status to answer (default 200)")
    p.add_argument("--body", default='{"status":"ok"}', help="response body")
    p.add_argument("--bodies", default=None,
                   help="JSON array of response bodies, one per request; the last repeats "
                   "(instead of --body)")
    p.add_argument("--echo-body", action="store_true",
                   help='answer {"error": "invalid to <number, spaced> for text <text>", '
                   '"request": <the request body>} instead of --body (with --status)')
    p.add_argument("--content-type", default=None, help="response Content-Type (default: JSON if the body parses)")
    p.add_argument("--responses", default=None,
                   help="comma-separated statuses, one per request; the last repeats")
    p.add_argument("--hang", type=float, default=0, help="sleep this many seconds before answering")
    p.add_argument("--drip", type=float, default=0,
                   help="send the answer (status line, headers and body) one byte every this many seconds")
    p.add_argument("--body-file", default=None,
                   help="read the response body from this file (instead of --body; for bodies too big for an argument)")
    p.add_argument("--garbage", action="store_true", help="answer with non-HTTP bytes and close")
    p.add_argument("--retry-after", default=None,
                   help="Retry-After header on 429 and 503 answers: seconds or an HTTP date")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    p.add_argument("--sms-display", action="store_true", help="print each SMS to stderr as a phone shows it")
    p.add_argument("--lifetime", type=float, default=300, help="exit after this many seconds (default 300)")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return p.parse_args(argv)


def main(argv):
    opts = parse_args(argv)
    tls_ctx = None
    if opts.tls:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(opts.tls[0], opts.tls[1])

    gateway = Gateway(opts)
    server = Server(gateway, tls_ctx)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    write_port_file(opts.port_file, server.server_address[1])

    stop.wait(opts.lifetime if opts.lifetime > 0 else None)
    server.shutdown()
    server.server_close()
    if gateway.log is not None:
        gateway.log.flush()
    # Handler threads may still sleep in --hang: do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

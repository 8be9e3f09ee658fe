#!/usr/bin/env python3
"""bench.py: the module's cost against curl and against the PAM floor (#7).

(A) pamtester + pam_smsotp: a full login (send over HTTPS, prompt, verify)
(B) curl posting the same request to the same gateway
(C) pamtester + pam_permit: what the PAM application costs by itself
run alternately (A B C A B C ...) BENCH_N times each, then BENCH_CONC logins
at once (different users; then one user against max_sends) against as many
curls at once, and the peak RSS of a login against the floor.  The logins at
once run without pam_wrapper (it has a few dozen runtime folders, not 100),
through services of their own in /etc/pam.d that cleanup removes.

The gateway is nginx (Debian's) on 127.0.0.1 with a certificate from
tests/make-ca.sh, answering 202 to /sms.  The code travels in the URL query
(the provider's url template carries {message}); nginx logs $arg_to and
$arg_c, and the answer for the prompt is read from that log.

Per-process wall time (perf_counter around spawn..reap) and CPU and peak RSS
from os.wait4 (the rusage of the process and of the children it reaped:
the module's send child is included).  Standard library only, matplotlib for
the PNG when it is there.
"""
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULE = os.environ.get("MODULE", os.path.join(ROOT, "pam_smsotp.so"))
OUTDIR = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "build", "bench")
N = max(int(os.environ.get("BENCH_N", "50")), 1)
CONC = max(int(os.environ.get("BENCH_CONC", "100")), 2)
CAP = 10  # max_sends of the one-user case
PROMPT = re.compile(rb"SMS code sent to [^:]*: ")
TIMEOUT = 60

TARGETS = {
    "wall_overhead": 1.20,   # (A - C) / B, median wall
    "cpu_overhead": 1.50,    # (A - C) / B, median CPU
    "concurrency": 2.0,      # 100 logins at once / 100 curls at once
    "rss_mib": 8.0,          # peak RSS of A - peak RSS of C, MiB
}


def find_secdir():
    for d in ("/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
              "/lib/aarch64-linux-gnu/security", "/usr/lib/security", "/lib/security",
              "/lib64/security"):
        if os.path.isfile(os.path.join(d, "pam_permit.so")):
            return d
    out = subprocess.run(["cc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    return "/lib/%s/security" % out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def phone(i):
    return "+4477009%05d" % i


def converse(p, deadline, code):
    """Reads pamtester's output (p, started with pipes) until it ends or
    the deadline (then kills it); at the first prompt answers code() (None:
    a wrong answer).  Returns the output and whether it prompted."""
    out = b""
    prompted = False
    fd = p.stdout.fileno()
    while True:
        r, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not r:
            p.kill()
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk
        if not prompted and PROMPT.search(out):
            prompted = True
            try:
                p.stdin.write(((code() or "x") + "\n").encode())
                p.stdin.close()
            except BrokenPipeError:
                pass
    for fh in (p.stdin, p.stdout):
        try:
            fh.close()
        except BrokenPipeError:
            pass
    return out, prompted


class Bench:
    def __init__(self):
        self.t = tempfile.mkdtemp(prefix="smsotp-bench.")
        self.nginx = None
        self.log = os.path.join(self.t, "access.log")
        self.pt = shutil.which("pamtester") or "/usr/bin/pamtester"
        self.curl = shutil.which("curl") or "/usr/bin/curl"
        self.lock = threading.Lock()
        self.codes = {}      # digits of a phone -> codes, in log order
        self.log_pos = 0
        self.log_file = None  # the gateway's log, kept open: read after each prompt
        self.log_lines = 0

    # ------------------------------------------------------------ setup
    def setup(self):
        t = self.t
        subprocess.run(["sh", os.path.join(ROOT, "tests", "make-ca.sh"), os.path.join(t, "ca")],
                       check=True)
        self.ca = os.path.join(t, "ca", "ca.pem")
        self.port = free_port()
        ng = os.path.join(t, "nginx")
        os.makedirs(os.path.join(ng, "logs"))
        os.chmod(ng, 0o755)
        conf = os.path.join(ng, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""worker_processes 1;
pid %(ng)s/nginx.pid;
error_log %(ng)s/logs/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(ng)s/body;
    proxy_temp_path %(ng)s/proxy;
    fastcgi_temp_path %(ng)s/fastcgi;
    uwsgi_temp_path %(ng)s/uwsgi;
    scgi_temp_path %(ng)s/scgi;
    log_format sms '$arg_to $arg_c';
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(ca)s/server.pem;
        ssl_certificate_key %(ca)s/server.key;
        location /sms {
            access_log %(log)s sms;
            default_type application/json;
            return 202 '{"ok":true}';
        }
    }
}
""" % {"ng": ng, "port": self.port, "ca": os.path.join(t, "ca"), "log": self.log})
        open(self.log, "w").close()
        self.nginx = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-p", ng, "-c", conf, "-e",
             os.path.join(ng, "logs", "error.log"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.nginx.poll() is not None:
                    raise SystemExit("nginx did not start: %s" % self.nginx.stderr.read().decode())
                time.sleep(0.05)
        else:
            raise SystemExit("nginx did not listen on %d" % self.port)
        self.nginx_version = subprocess.run(["nginx", "-v"], capture_output=True,
                                            text=True).stderr.strip()

        # users u0000.. with numbers; "capped" for the one-user case
        with open(os.path.join(t, "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
            for i in range(CONC):
                f.write("u%04d:x:%d:2000:bench:/home/u%04d:/bin/sh\n" % (i, 3000 + i, i))
            f.write("capped:x:2999:2000:bench:/home/capped:/bin/sh\n")
        with open(os.path.join(t, "group"), "w") as f:
            f.write("root:x:0:\nbench:x:2000:\n")
        with open(os.path.join(t, "phones"), "w") as f:
            for i in range(CONC):
                f.write("u%04d %s\n" % (i, phone(i)))
            f.write("capped %s\n" % phone(99999))
        os.chmod(os.path.join(t, "phones"), 0o644)
        self.url = "https://127.0.0.1:%d/sms?to={phone_digits}&c={message}" % self.port
        body = '{{\\"to\\": \\"{phone}\\", \\"text\\": \\"{message}\\"}}'
        for name, limits in (("bench", "max_sends = 10000; lockout_after = 0;"),
                             ("capped", "max_sends = %d; lockout_after = 0;" % CAP)):
            c = os.path.join(t, name + ".conf")
            with open(c, "w") as f:
                f.write('template = "CODE={code}";\n')
                f.write('max_tries = 1;\n')
                f.write('phones = { file = "%s/phones"; };\n' % t)
                f.write('limits = { state_dir = "%s/state-%s"; key_file = "%s/hash.key"; resend_after = 0; %s };\n'
                        % (t, name, t, limits))
                f.write('providers = ( { name = "nginx"; type = "http"; url = "%s"; '
                        'method = "POST"; format = "json"; body = "%s"; ca_file = "%s"; } );\n'
                        % (self.url, body, self.ca))
            os.chmod(c, 0o600)
        svc = os.path.join(t, "svc")
        os.makedirs(svc)
        permit = os.path.join(find_secdir(), "pam_permit.so")
        deny = os.path.join(find_secdir(), "pam_deny.so")
        for name, line in (("bench", "auth required %s conf=%s/bench.conf" % (MODULE, t)),
                           ("capped", "auth required %s conf=%s/capped.conf" % (MODULE, t)),
                           ("floor", "auth required %s" % permit)):
            with open(os.path.join(svc, name), "w") as f:
                f.write(line + "\n")
        with open(os.path.join(svc, "other"), "w") as f:
            for s in ("auth", "account", "password", "session"):
                f.write("%s required %s\n" % (s, deny))
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith(("PAM_WRAPPER", "NSS_WRAPPER", "LD_PRELOAD")):
                del self.env[k]
        self.env.update({
            "LD_PRELOAD": "libpam_wrapper.so libnss_wrapper.so",
            "PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": svc,
            "NSS_WRAPPER_PASSWD": os.path.join(t, "passwd"),
            "NSS_WRAPPER_GROUP": os.path.join(t, "group"),
        })
        # 100 logins at once cannot run under pam_wrapper: it gives each
        # process a folder /tmp/pam.X, from a few dozen names.  They run
        # as a real PAM application does, with services of their own in
        # /etc/pam.d for the time of the bench (removed by cleanup); the
        # users still come from nss_wrapper.
        self.plain_env = {k: v for k, v in self.env.items()
                          if not k.startswith(("PAM_WRAPPER", "LD_PRELOAD"))}
        self.plain_env["LD_PRELOAD"] = "libnss_wrapper.so"
        self.pamd = {}
        for name in ("bench", "capped"):
            svc_name = "smsotp-bench-%d-%s" % (os.getpid(), name)
            path = os.path.join("/etc/pam.d", svc_name)
            with open(path, "x") as f:
                f.write("auth required %s conf=%s/%s.conf\n" % (MODULE, t, name))
                for stack in ("account", "password", "session"):
                    f.write("%s required %s\n" % (stack, deny))
            self.pamd[name] = svc_name
        # the same body the module sends, for curl
        self.curl_body = json.dumps({"to": phone(0), "text": "CODE=123456"}, separators=(", ", ": "))
        self.curl_url = "https://127.0.0.1:%d/sms?to=%s&c=%s" % (
            self.port, phone(0)[1:], urllib.parse.quote("CODE=123456", safe=""))

    def cleanup(self):
        for svc_name in getattr(self, "pamd", {}).values():
            try:
                os.unlink(os.path.join("/etc/pam.d", svc_name))
            except FileNotFoundError:
                pass
        if self.log_file is not None:
            self.log_file.close()
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(5)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        if os.environ.get("KEEP_BENCH_DIR") != "1":
            shutil.rmtree(self.t, ignore_errors=True)

    # ------------------------------------------------------------ gateway log
    def _read_log(self):
        with self.lock:
            if self.log_file is None:
                self.log_file = open(self.log, "rb")  # noqa: SIM115 (kept open)
            self.log_file.seek(self.log_pos)
            data = self.log_file.read()
            end = data.rfind(b"\n") + 1
            self.log_pos += end
            for line in data[:end].decode().splitlines():
                self.log_lines += 1
                to, _, c = line.partition(" ")
                m = re.search(r"CODE=(\S+)", urllib.parse.unquote(c))
                if m:
                    self.codes.setdefault(to, []).append(m.group(1))

    def code_for(self, digits, after, deadline):
        while True:
            self._read_log()
            with self.lock:
                got = self.codes.get(digits, [])
                if len(got) > after:
                    return got[-1]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.001)

    def sms_count(self, digits=None):
        self._read_log()
        with self.lock:
            if digits is None:
                return self.log_lines
            return len(self.codes.get(digits, []))

    # ------------------------------------------------------------ runs
    def _wait(self, p, t0):
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
                "rss_kib": ru.ru_maxrss, "rc": p.returncode}

    def _env(self, wrapped=True):
        return dict(self.env if wrapped else self.plain_env)

    def login(self, service, user, digits, answer=True, wrap=None, wrapped=True):
        """One pamtester authenticate; answers the prompt with the code
        nginx logged for this number.  Returns the measures, plus whether
        it prompted and succeeded.  wrapped: under pam_wrapper (the
        service from svc/), else a service of /etc/pam.d."""
        env = self._env(wrapped)
        before = self.sms_count(digits) if digits else 0
        t0 = time.perf_counter()
        p = subprocess.Popen((wrap or []) + [self.pt, service, user, "authenticate"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + TIMEOUT
        out, prompted = converse(
            p, deadline, lambda: self.code_for(digits, before, deadline) if answer else None)
        m = self._wait(p, t0)
        m["prompted"] = prompted
        m["ok"] = m["rc"] == 0
        m["out"] = out.decode(errors="replace")[-300:]
        return m

    def floor(self, wrap=None):
        env = self._env()
        t0 = time.perf_counter()
        p = subprocess.Popen((wrap or []) + [self.pt, "floor", "u0000", "authenticate"], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        m = self._wait(p, t0)
        m["ok"] = m["rc"] == 0
        return m

    def curl_post(self, wrap=None):
        t0 = time.perf_counter()
        p = subprocess.Popen((wrap or []) + [self.curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                              "--cacert", self.ca, "-X", "POST",
                              "-H", "Content-Type: application/json; charset=utf-8",
                              "--data-binary", self.curl_body, self.curl_url],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        code = p.stdout.read()
        p.stdout.close()
        m = self._wait(p, t0)
        m["ok"] = m["rc"] == 0 and code == b"202"
        return m

    # ------------------------------------------------------------ phases
    def sequential(self):
        res = {"A": [], "B": [], "C": []}
        # warm-up (page cache, nginx): one of each, not counted
        self.login("bench", "u0000", phone(0)[1:])
        self.curl_post()
        self.floor()
        for i in range(N):
            a = self.login("bench", "u0000", phone(0)[1:])
            if not a["ok"]:
                raise SystemExit("login %d failed (rc %d): %s" % (i, a["rc"], a["out"]))
            b = self.curl_post()
            if not b["ok"]:
                raise SystemExit("curl %d failed (rc %d)" % (i, b["rc"]))
            c = self.floor()
            if not c["ok"]:
                raise SystemExit("floor %d failed (rc %d)" % (i, c["rc"]))
            for k, m in (("A", a), ("B", b), ("C", c)):
                res[k].append({x: m[x] for x in ("wall", "cpu", "rss_kib")})
        return res

    def rss(self, helper, n=10):
        """Peak RSS of A, B and C through the rusage helper (a small
        process forks the command, so the high-water mark is that of the
        command and its children: pamtester's and its send process's)."""
        out = {"A": [], "B": [], "C": []}
        f = os.path.join(self.t, "ru")
        for _ in range(n):
            for k in "ABC":
                m = (self.login("bench", "u0000", phone(0)[1:], wrap=[helper, f]) if k == "A"
                     else self.curl_post(wrap=[helper, f]) if k == "B"
                     else self.floor(wrap=[helper, f]))
                if not m["ok"]:
                    raise SystemExit("rss run %s failed (rc %d)" % (k, m["rc"]))
                with open(f) as fh:
                    out[k].append(int(fh.read().split()[0]))
        return out

    def libcurl_rss(self, helper, cpost, n=10):
        """Peak RSS of a C program that makes only the same POST through
        libcurl (tests/bench/curlpost.c), with the environment the send
        process has: none but GnuTLS told not to initialise."""
        f = os.path.join(self.t, "ru")
        out = []
        for _ in range(n):
            r = subprocess.run([helper, f, cpost, self.curl_url, self.ca, self.curl_body],
                               env={"GNUTLS_NO_IMPLICIT_INIT": "1"})
            if r.returncode != 0:
                raise SystemExit("curlpost failed (rc %d)" % r.returncode)
            with open(f) as fh:
                out.append(int(fh.read().split()[0]))
        return out

    def host_rss(self, hwm, n=10):
        """Peak RSS and private memory of pamtester itself in a login
        (the host's share) and of the module's send process, from hwm.c
        preloaded into them."""
        f = os.path.join(self.t, "hwm")
        saved = self.env
        self.env = dict(saved)
        self.env["LD_PRELOAD"] += " " + hwm
        self.env["SMSOTP_BENCH_HWM"] = f
        try:
            for _ in range(n):
                if not self.login("bench", "u0000", phone(0)[1:])["ok"]:
                    raise SystemExit("host rss run failed")
        finally:
            self.env = saved
        out = {"host": [], "host_anon": [], "send": [], "send_anon": []}
        with open(f) as fh:
            for line in fh:
                who, hwm_kib, anon_kib = line.split()
                out[who].append(int(hwm_kib))
                out[who + "_anon"].append(int(anon_kib))
        return out

    def _at_once(self, fn, args_list):
        out = [None] * len(args_list)
        barrier = threading.Barrier(len(args_list) + 1)

        def run(i):
            barrier.wait()
            out[i] = fn(*args_list[i])

        th = [threading.Thread(target=run, args=(i,)) for i in range(len(args_list))]
        for x in th:
            x.start()
        barrier.wait()
        t0 = time.perf_counter()
        for x in th:
            x.join()
        return time.perf_counter() - t0, out

    def concurrent(self):
        res = {}
        n0 = self.sms_count()
        base = [self.sms_count(phone(i)[1:]) for i in range(CONC)]
        total, logins = self._at_once(
            self.login, [(self.pamd["bench"], "u%04d" % i, phone(i)[1:], True, None, False)
                         for i in range(CONC)])
        for m in [m for m in logins if not m["ok"]][:3]:
            print("bench: a login at once failed (rc %d): %s" % (m["rc"], m["out"].strip()),
                  file=sys.stderr)
        sent = self.sms_count() - n0
        per_user = [self.sms_count(phone(i)[1:]) - base[i] for i in range(CONC)]
        lat = sorted(m["wall"] for m in logins)
        res["logins"] = {
            "n": CONC, "total": total,
            "p50": statistics.median(lat), "p95": lat[min(int(0.95 * len(lat)), len(lat) - 1)],
            "succeeded": sum(m["ok"] for m in logins),
            "prompted": sum(m["prompted"] for m in logins),
            "sms": sent, "users_with_one_sms": sum(1 for c in per_user if c == 1),
        }
        total_c, curls = self._at_once(self.curl_post, [()] * CONC)
        clat = sorted(m["wall"] for m in curls)
        res["curls"] = {"n": CONC, "total": total_c, "ok": sum(m["ok"] for m in curls),
                        "p50": statistics.median(clat),
                        "p95": clat[min(int(0.95 * len(clat)), len(clat) - 1)]}
        # one user, CONC logins at once against max_sends = CAP
        d = phone(99999)[1:]
        total_1, one = self._at_once(
            self.login, [(self.pamd["capped"], "capped", d, True, None, False)] * CONC)
        res["one_user"] = {"n": CONC, "max_sends": CAP, "total": total_1,
                           "sms": self.sms_count(d),
                           "prompted": sum(m["prompted"] for m in one),
                           "succeeded": sum(m["ok"] for m in one),
                           "refused_without_sms": sum(1 for m in one if not m["prompted"])}
        res["login_latencies"] = lat
        res["curl_latencies"] = clat
        return res


def med(xs):
    return statistics.median(xs)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def plot(res, path_base):
    seq = res["sequential"]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return svg(res, path_base + ".svg")
    fig, ax = plt.subplots(2, 2, figsize=(12, 9))
    labels = ["A login", "B curl", "C floor"]
    ax[0][0].boxplot([[m["wall"] * 1000 for m in seq[k]] for k in "ABC"], labels=labels)
    ax[0][0].set_title("wall time per run (ms), %d runs each, alternating" % N)
    ax[0][1].boxplot([[m["cpu"] * 1000 for m in seq[k]] for k in "ABC"], labels=labels)
    ax[0][1].set_title("CPU time per run (ms, user+sys incl. children)")
    c = res["concurrent"]
    for key, lab in (("login_latencies", "login"), ("curl_latencies", "curl")):
        xs = [x * 1000 for x in c[key]]
        ax[1][0].plot(xs, [(i + 1) / len(xs) for i in range(len(xs))], label=lab)
    ax[1][0].set_title("%d at once: latency CDF (ms); totals %.0f vs %.0f ms"
                       % (CONC, c["logins"]["total"] * 1000, c["curls"]["total"] * 1000))
    ax[1][0].legend()
    s = res["summary"]
    names = ["wall (A-C)/B", "CPU (A-C)/B", "conc. logins/curls", "RSS A-C (MiB)"]
    vals = [s["wall_overhead"], s["cpu_overhead"], s["concurrency_ratio"], s["rss_delta_mib"]]
    tg = [TARGETS["wall_overhead"], TARGETS["cpu_overhead"], TARGETS["concurrency"],
          TARGETS["rss_mib"]]
    colors = ["tab:green" if v <= t else "tab:red" for v, t in zip(vals, tg)]
    bars = ax[1][1].bar(names, [v / t for v, t in zip(vals, tg)], color=colors)
    ax[1][1].axhline(1.0, color="k", linestyle="--")
    for b, v, t in zip(bars, vals, tg):
        ax[1][1].text(b.get_x() + b.get_width() / 2, b.get_height(), "%.2f / %.2f" % (v, t),
                      ha="center", va="bottom")
    ax[1][1].set_title("figure / target (below the line: met)")
    m = res["machine"]
    fig.suptitle("pam_smsotp bench: %s, %d CPUs, Linux %s, %s"
                 % (m["cpu_model"], m["cpus"], m["kernel"], m["date"]))
    fig.tight_layout()
    fig.savefig(path_base + ".png", dpi=90)
    return path_base + ".png"


def svg(res, path):
    s = res["summary"]
    rows = [("A login wall ms", s["A_wall_ms"]), ("B curl wall ms", s["B_wall_ms"]),
            ("C floor wall ms", s["C_wall_ms"]), ("A login CPU ms", s["A_cpu_ms"]),
            ("B curl CPU ms", s["B_cpu_ms"]), ("C floor CPU ms", s["C_cpu_ms"])]
    top = max(v for _, v in rows) or 1
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="640" height="%d">' % (40 + 30 * len(rows)),
             '<text x="10" y="20">pam_smsotp bench: medians</text>']
    for i, (name, v) in enumerate(rows):
        y = 35 + 30 * i
        parts.append('<text x="10" y="%d">%s</text>' % (y + 15, name))
        parts.append('<rect x="160" y="%d" width="%d" height="20" fill="steelblue"/>'
                     % (y, int(400 * v / top)))
        parts.append('<text x="%d" y="%d">%.1f</text>' % (165 + int(400 * v / top), y + 15, v))
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return path


def main():
    if os.geteuid() != 0:
        print("bench: needs root", file=sys.stderr)
        return 77
    if not os.path.isfile(MODULE):
        print("bench: %s is not built" % MODULE, file=sys.stderr)
        return 1
    os.makedirs(OUTDIR, exist_ok=True)
    b = Bench()
    try:
        b.setup()
        print("bench: nginx on 127.0.0.1:%d; %d runs each of A (login), B (curl), C (floor), "
              "alternating" % (b.port, N), flush=True)
        seq = b.sequential()
        helper = os.path.join(OUTDIR, "rusage")
        subprocess.run(["cc", "-O2", "-o", helper, os.path.join(ROOT, "tests", "bench", "rusage.c")],
                       check=True)
        rss = b.rss(helper)
        hwm = os.path.join(OUTDIR, "hwm.so")
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", hwm,
                        os.path.join(ROOT, "tests", "bench", "hwm.c")], check=True)
        rss.update(b.host_rss(hwm))
        cpost = os.path.join(OUTDIR, "curlpost")
        subprocess.run(["cc", "-O2", "-o", cpost, os.path.join(ROOT, "tests", "bench", "curlpost.c")]
                       + subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl"],
                                        capture_output=True, text=True, check=True).stdout.split(),
                       check=True)
        rss["libcurl"] = b.libcurl_rss(helper, cpost)
        print("bench: %d logins at once, %d curls at once, %d logins of one user" %
              (CONC, CONC, CONC), flush=True)
        conc = b.concurrent()
    finally:
        b.cleanup()

    A, B, C = ({k: med([m[k] for m in seq[x]]) for k in ("wall", "cpu")} for x in "ABC")
    A["rss_kib"], B["rss_kib"], C["rss_kib"] = med(rss["A"]), med(rss["B"]), med(rss["C"])
    cl, cc, one = conc["logins"], conc["curls"], conc["one_user"]
    summary = {
        "A_wall_ms": A["wall"] * 1000, "B_wall_ms": B["wall"] * 1000, "C_wall_ms": C["wall"] * 1000,
        "A_cpu_ms": A["cpu"] * 1000, "B_cpu_ms": B["cpu"] * 1000, "C_cpu_ms": C["cpu"] * 1000,
        "A_rss_kib": med(rss["A"]), "B_rss_kib": med(rss["B"]), "C_rss_kib": med(rss["C"]),
        "A_rss_max_kib": max(rss["A"]), "C_rss_max_kib": max(rss["C"]),
        "wall_overhead": (A["wall"] - C["wall"]) / B["wall"],
        "cpu_overhead": (A["cpu"] - C["cpu"]) / B["cpu"],
        "concurrency_ratio": cl["total"] / cc["total"],
        "rss_delta_mib": (max(rss["A"]) - med(rss["C"])) / 1024.0,
        "host_rss_kib": max(rss["host"]),
        "host_rss_delta_mib": (max(rss["host"]) - med(rss["C"])) / 1024.0,
        "send_rss_kib": max(rss["send"]),
        "libcurl_rss_kib": med(rss["libcurl"]),
        "send_private_kib": max(rss["send_anon"]),
        "host_private_kib": max(rss["host_anon"]),
        "counts_exact": (cl["succeeded"] == CONC and cl["sms"] == CONC
                         and cl["users_with_one_sms"] == CONC and cc["ok"] == CONC
                         and one["sms"] == CAP and one["prompted"] == CAP),
    }
    res = {"n": N, "concurrency": CONC, "machine": machine(), "nginx": b.nginx_version,
           "targets": TARGETS, "summary": summary, "sequential": seq, "rss_kib": rss, "concurrent": conc}
    verdict = {
        "wall_overhead": summary["wall_overhead"] <= TARGETS["wall_overhead"],
        "cpu_overhead": summary["cpu_overhead"] <= TARGETS["cpu_overhead"],
        "concurrency": summary["concurrency_ratio"] <= TARGETS["concurrency"] and summary["counts_exact"],
        "rss": summary["rss_delta_mib"] <= TARGETS["rss_mib"],
    }
    res["verdict"] = verdict
    with open(os.path.join(OUTDIR, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    img = plot(res, os.path.join(OUTDIR, "bench"))

    pf = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    mach = res["machine"]
    print()
    print("%-44s %10s %10s %10s" % ("median of %d (alternating)" % N, "wall ms", "CPU ms", "RSS KiB"))
    for name, x in (("A  pamtester + pam_smsotp (full login)", A), ("B  curl, same POST", B),
                    ("C  pamtester + pam_permit (floor)", C)):
        print("%-44s %10.2f %10.2f %10d" % (name, x["wall"] * 1000, x["cpu"] * 1000,
                                            x["rss_kib"]))
    print()
    print("%-44s %10s %10s  %s" % ("target", "figure", "limit", ""))
    print("%-44s %10.2f %10.2f  %s" % ("wall overhead (A-C)/B", summary["wall_overhead"],
                                        TARGETS["wall_overhead"], pf(verdict["wall_overhead"])))
    print("%-44s %10.2f %10.2f  %s" % ("CPU overhead (A-C)/B", summary["cpu_overhead"],
                                        TARGETS["cpu_overhead"], pf(verdict["cpu_overhead"])))
    print("%-44s %10.2f %10.2f  %s" % ("%d logins / %d curls at once (total)" % (CONC, CONC),
                                        summary["concurrency_ratio"], TARGETS["concurrency"],
                                        pf(verdict["concurrency"])))
    print("%-44s %10.2f %10.2f  %s" % ("peak RSS login - floor (MiB)", summary["rss_delta_mib"],
                                        TARGETS["rss_mib"], pf(verdict["rss"])))
    print("%-44s %10.2f" % ("  the host process itself - floor (MiB)", summary["host_rss_delta_mib"]))
    print("%-44s %10.2f" % ("  the send process, peak RSS (MiB)", summary["send_rss_kib"] / 1024.0))
    print("%-44s %10.2f" % ("  a C program making only this POST (MiB)", summary["libcurl_rss_kib"] / 1024.0))
    print("%-44s %10.2f / %.2f" % ("  private memory: host / send process (MiB)",
                                    summary["host_private_kib"] / 1024.0,
                                    summary["send_private_kib"] / 1024.0))
    print()
    print("at once: %d logins %.0f ms total (p50 %.0f, p95 %.0f ms), %d/%d succeeded, %d SMS, "
          "%d users with exactly one" % (CONC, cl["total"] * 1000, cl["p50"] * 1000, cl["p95"] * 1000,
                                         cl["succeeded"], CONC, cl["sms"], cl["users_with_one_sms"]))
    print("         %d curls %.0f ms total (p50 %.0f, p95 %.0f ms), %d/%d got 202"
          % (CONC, cc["total"] * 1000, cc["p50"] * 1000, cc["p95"] * 1000, cc["ok"], CONC))
    print("one user, %d logins at once, max_sends = %d: %d SMS, %d prompted, %d refused without "
          "SMS, %d succeeded (%.0f ms)" % (CONC, CAP, one["sms"], one["prompted"],
                                           one["refused_without_sms"], one["succeeded"],
                                           one["total"] * 1000))
    print("counts exact: %s" % ("yes" if summary["counts_exact"] else "NO"))
    print()
    print("wrote %s and %s" % (os.path.join(OUTDIR, "results.json"), img))
    print()
    print("docs/performance.md snippet:")
    print()
    print("Measured %s on %d CPUs (%s), Linux %s, %s, %d runs each, alternating:" %
          (mach["date"], mach["cpus"], mach["cpu_model"], mach["kernel"], b.nginx_version.replace("nginx version: ", ""), N))
    print()
    print("| | wall (median) | CPU (median) | peak RSS |")
    print("|---|---|---|---|")
    for name, x in (("A: login through pam_smsotp", A), ("B: curl, same POST", B),
                    ("C: pamtester + pam_permit", C)):
        print("| %s | %.1f ms | %.1f ms | %.1f MiB |" % (name, x["wall"] * 1000, x["cpu"] * 1000,
                                                      x["rss_kib"] / 1024.0))
    print()
    print("| target | figure | limit | |")
    print("|---|---|---|---|")
    print("| wall overhead (A − C) / B | %.2f× | 1.20× | %s |" % (summary["wall_overhead"], pf(verdict["wall_overhead"])))
    print("| CPU overhead (A − C) / B | %.2f× | 1.50× | %s |" % (summary["cpu_overhead"], pf(verdict["cpu_overhead"])))
    print("| %d logins at once / %d curls at once | %.0f / %.0f ms = %.2f× | 2× | %s |" % (
        CONC, CONC, cl["total"] * 1000, cc["total"] * 1000, summary["concurrency_ratio"],
        pf(verdict["concurrency"])))
    print("| per-login latency at once, p50 / p95 | %.0f / %.0f ms | | |" % (cl["p50"] * 1000, cl["p95"] * 1000))
    print("| counts: %d users (1 SMS each); one user vs max_sends = %d | %d SMS, %d with one; %d SMS, %d prompted | exact | %s |" % (
        CONC, CAP, cl["sms"], cl["users_with_one_sms"], one["sms"], one["prompted"],
        pf(summary["counts_exact"])))
    print("| peak RSS, login − floor (curl by itself: %.1f MiB) | %.2f MiB | 8 MiB | %s |" % (
        B["rss_kib"] / 1024.0, summary["rss_delta_mib"], pf(verdict["rss"])))
    print("| … the PAM application itself − floor; the send process's peak | %.2f MiB; %.2f MiB | | |" % (
        summary["host_rss_delta_mib"], summary["send_rss_kib"] / 1024.0))
    print("| … a C program that only makes this POST through libcurl (`tests/bench/curlpost.c`) | %.2f MiB | | |" % (
        summary["libcurl_rss_kib"] / 1024.0))
    print("| private (anonymous) memory: PAM application / send process | %.2f / %.2f MiB | | |" % (
        summary["host_private_kib"] / 1024.0, summary["send_private_kib"] / 1024.0))
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

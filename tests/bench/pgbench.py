#!/usr/bin/env python3
"""pgbench.py: the PostgreSQL store's cost, the PostgreSQL part of `make bench` (#8).

Run by tests/bench/pg.sh, which has started one throwaway PostgreSQL 15 cluster
(tests/pg_cluster.sh: 127.0.0.1 only, TLS, SCRAM) and stops it when this ends.

(F) a full login with store = "file"            } pamtester, answering the code,
(P) the same login with store = "postgresql"    } alternating with
(0) the floor: tests/bench/pgfloor.c, one new connection with the keywords the
    module sets (TLS verify-full, SCRAM) + SELECT 1 + PQfinish, its own wall time
Goal: median(P) - median(F) <= median(floor) + 3 ms.

Where the time goes: the floor split by connecting five ways (unix socket / TCP,
with and without TLS, with and without SCRAM) and by PQconnectPoll's states; the
cost of dlopen("libpq.so.5") in a process that has the module loaded
(tests/bench/pqload.c); and a few logins with the server logging every statement
(log_min_duration_statement = 0): statements per login, their server time, the
session's time as the server saw it.

Then 200 logins at once over 4 "hosts" (configurations with their own state_dir,
template and outbox, one key_file, one database): one user against max_sends = 50
(exactly 50 SMS, 50 sends in the database, the rest told the cap), then 200
users with one login each (every count 1).

The SMS provider is the file provider (one outbox per host): the bench measures
the store, not a gateway.  Standard library only.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its helpers: phone, machine, _at_once)

ENV = os.environ
T = ENV["BPG_T"]
ROOT = bench.ROOT
MODULE = bench.MODULE
OUTDIR = bench.OUTDIR
N = max(int(ENV.get("BENCH_PG_N", "50")), 1)
CONC = max(int(ENV.get("BENCH_PG_CONC", "200")), 4)
HOSTS = 4
CAP = max(CONC // 4, 1)      # max_sends of the one-user run (50 of 200)
PROFILED = max(int(ENV.get("BENCH_PG_PROFILED", "10")), 1)
# limits.postgresql.timeout of every host (the example's 3 s: each connect,
# statement and lock wait); 200 logins at once of one user wait in line for
# its row
PG_TIMEOUT = int(ENV.get("BENCH_PG_TIMEOUT", "3"))
GOAL_MS = 3.0                # P - F may exceed the floor by this much
NOWHERE = "/dev/null/pam_smsotp-none"   # what state/pq.c sets unnamed files to
TIMEOUT = 120
CAPPED = re.compile(rb"No more SMS codes can be sent")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    s = sorted(xs)
    return s[min(int(0.9 * len(s)), len(s) - 1)] if s else float("nan")


def stats(xs):
    return {"median": med(xs), "p90": p90(xs), "min": min(xs) if xs else None,
            "max": max(xs) if xs else None, "n": len(xs)}


class PgBench:
    def __init__(self):
        self.port = ENV["BPG_PORT"]
        self.sock = ENV["BPG_SOCK"]
        self.ca = ENV["BPG_CA"]
        self.password = ENV["BPG_PASSWORD"]
        self.conninfo = ENV["BPG_CONNINFO"]
        self.pglog = ENV["BPG_LOG"]
        self.pgbin = ENV["BPG_BIN"]
        self.tool = ENV["BPG_TOOL"]
        self.pt = shutil.which("pamtester") or "/usr/bin/pamtester"
        self.pamd = []
        self.outbox_pos = {}
        self.codes = {}       # tag (rhost) -> code
        self.sms_lines = {}   # outbox -> lines read
        self.to_count = {}    # phone -> SMS
        self.outbox_fh = {}
        self.logins = 0
        self.cv = threading.Condition()
        self.stop = threading.Event()
        self.follower = threading.Thread(target=self._follow, daemon=True)

    # ------------------------------------------------------------ setup
    def sql(self, q, db="otpdb"):
        r = subprocess.run(
            ["runuser", "-u", "postgres", "--", "env", "-i", "PATH=/usr/bin:/bin", "LC_ALL=C",
             os.path.join(self.pgbin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-h", self.sock, "-p", self.port, "-U", "postgres", "-d", db, "-c", q],
            cwd="/", capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("pgbench: psql %r: %s" % (q, r.stderr.strip()))
        return r.stdout.strip()

    def conf(self, name, store, limits, host=None, state_dir=None):
        """A configuration (0600) and a service of its own in /etc/pam.d."""
        path = os.path.join(T, name + ".conf")
        outbox = os.path.join(T, "outbox-%s.jsonl" % name)
        if store == "postgresql":
            lim = ('store = "postgresql"; postgresql = { conninfo = "%s"; password = "%s"; '
                   'timeout = %d; }; ' % (self.conninfo, self.password, PG_TIMEOUT))
        else:
            lim = ""
        with open(path, "w") as f:
            # a template of each host's own: {host} would be this machine's for all
            f.write('template = "CODE={code} R={rhost} H=%s";\nmax_tries = 1;\n' % (host or name))
            f.write('phones = { file = "%s/phones"; };\n' % T)
            f.write('limits = { state_dir = "%s"; key_file = "%s/hash.key"; '
                    'resend_after = 0; lockout_after = 0; %s%s };\n'
                    % (state_dir or "%s/state-%s" % (T, name), T, lim, limits))
            f.write('providers = ( { name = "outbox"; type = "file"; path = "%s"; } );\n' % outbox)
        os.chmod(path, 0o600)
        svc = "smsotp-pgbench-%d-%s" % (os.getpid(), name)
        with open(os.path.join("/etc/pam.d", svc), "x") as f:
            self.pamd.append(svc)
            f.write("auth required %s conf=%s\n" % (MODULE, path))
            for stack in ("account", "password", "session"):
                f.write("%s required %s\n" % (stack, os.path.join(bench.find_secdir(), "pam_deny.so")))
        open(outbox, "a").close()
        os.chmod(outbox, 0o600)   # the file provider wants 0600
        self.outbox_pos[outbox] = 0
        return {"conf": path, "svc": svc, "outbox": outbox}

    def setup(self):
        users = ["seq", "capped"] + ["d%04d" % i for i in range(CONC)]
        with open(os.path.join(T, "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
            for i, u in enumerate(users):
                f.write("%s:x:%d:2000:bench:/home/%s:/bin/sh\n" % (u, 3000 + i, u))
        with open(os.path.join(T, "group"), "w") as f:
            f.write("root:x:0:\nbench:x:2000:\n")
        with open(os.path.join(T, "phones"), "w") as f:
            for i, u in enumerate(users):
                f.write("%s %s\n" % (u, bench.phone(i)))
        os.chmod(os.path.join(T, "phones"), 0o644)
        self.phone_of = {u: bench.phone(i) for i, u in enumerate(users)}
        with open(os.path.join(T, "hash.key"), "wb") as f:
            f.write(os.urandom(32))
        os.chmod(os.path.join(T, "hash.key"), 0o600)
        self.env = {k: v for k, v in ENV.items()
                    if not k.startswith(("PAM_WRAPPER", "NSS_WRAPPER", "LD_PRELOAD", "BPG_"))}
        self.env.update({"LD_PRELOAD": "libnss_wrapper.so",
                         "NSS_WRAPPER_PASSWD": os.path.join(T, "passwd"),
                         "NSS_WRAPPER_GROUP": os.path.join(T, "group")})
        self.login_env = self.env
        big = "max_sends = 10000;"
        self.file = self.conf("file", "file", big)
        # the file store where its fsyncs cost nothing, as the bench
        # cluster's commits (pg_cluster.sh runs it with fsync = off)
        self.shm = "/dev/shm/smsotp-pgbench-%d" % os.getpid()
        self.file_shm = self.conf("file_tmpfs", "file", big, state_dir=self.shm)
        self.pg = self.conf("pg", "postgresql", big)
        self.hosts = [self.conf("h%d" % (i + 1), "postgresql", "max_sends = %d;" % CAP)
                      for i in range(HOSTS)]
        r = subprocess.run([self.tool, "-c", self.pg["conf"], "db", "init"], capture_output=True,
                           text=True, env=self.env, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise SystemExit("pgbench: smsotp db init: %s%s" % (r.stdout, r.stderr))
        self.db_init = r.stdout.strip()
        self.follower.start()
        # the floor program and the dlopen timer
        self.pgfloor = os.path.join(OUTDIR, "pgfloor")
        self.pqload = os.path.join(OUTDIR, "pqload")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libpq"], capture_output=True,
                               text=True).stdout.split() or ["-I/usr/include/postgresql", "-lpq"]
        self.syslogcap = os.path.join(OUTDIR, "syslogcap.so")
        for out, src, libs in ((self.pgfloor, "pgfloor.c", flags),
                               (self.pqload, "pqload.c", ["-ldl"]),
                               (self.syslogcap, "syslogcap.c", ["-shared", "-fPIC"])):
            subprocess.run(["cc", "-O2", "-Wall", "-o", out,
                            os.path.join(ROOT, "tests", "bench", src)] + libs, check=True)

    def cleanup(self):
        if getattr(self, "shm", None):
            shutil.rmtree(self.shm, ignore_errors=True)
        self.stop.set()
        if self.follower.is_alive():
            self.follower.join()
        for f in self.outbox_fh.values():
            f.close()
        for svc in self.pamd:
            try:
                os.unlink(os.path.join("/etc/pam.d", svc))
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------ outboxes
    # One reader thread follows every outbox (kept open, its size checked
    # each ms) and wakes the logins waiting for their code: 200 logins at
    # once must not poll 200 times over.
    def _read_outboxes(self):
        """New lines of the outboxes, under self.cv; True when there were."""
        got = False
        for path, pos in self.outbox_pos.items():
            f = self.outbox_fh.get(path)
            if f is None:
                f = self.outbox_fh[path] = open(path, "rb")  # noqa: SIM115 (kept open)
            if os.fstat(f.fileno()).st_size <= pos:
                continue
            f.seek(pos)
            data = f.read()
            end = data.rfind(b"\n") + 1
            self.outbox_pos[path] = pos + end
            for line in data[:end].decode().splitlines():
                o = json.loads(line)
                m = re.search(r"CODE=(\S+) R=(\S+)", o["text"])
                if m:
                    self.codes[m.group(2)] = m.group(1)
                self.to_count[o["to"]] = self.to_count.get(o["to"], 0) + 1
                self.sms_lines[path] = self.sms_lines.get(path, 0) + 1
                got = True
        return got

    def _follow(self):
        while not self.stop.is_set():
            with self.cv:
                if self._read_outboxes():
                    self.cv.notify_all()
            time.sleep(0.001)

    def code_for(self, tag, deadline):
        with self.cv:
            while tag not in self.codes:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(min(left, 0.05))
            return self.codes.pop(tag)

    def sms_total(self, outboxes=None):
        with self.cv:
            self._read_outboxes()
            return sum(self.sms_lines.get(o, 0) for o in (outboxes or self.outbox_pos))

    # ------------------------------------------------------------ runs
    def login(self, host, user):
        """One pamtester authenticate through HOST's service as USER; the
        answer is the code of the SMS whose R= is this login's rhost (an
        address of its own, numeric: libpam's audit record resolves a name)."""
        with self.cv:
            self.logins += 1
            n = self.logins
        tag = "127.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)
        t0 = time.perf_counter()
        p = subprocess.Popen([self.pt, "-I", "rhost=" + tag, host["svc"], user, "authenticate"],
                             env=self.login_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + TIMEOUT
        out, prompted = bench.converse(p, deadline, lambda: self.code_for(tag, deadline))
        p.wait()
        return {"wall": time.perf_counter() - t0, "rc": p.returncode, "prompted": prompted,
                "capped": bool(CAPPED.search(out)), "ok": p.returncode == 0,
                "out": out.decode(errors="replace")[-300:]}

    def floor_params(self, variant="tls_scram", app="pgfloor"):
        """The keywords state/pq.c gives libpq (build_params), for the floor;
        the other variants change only where and how it authenticates."""
        kw = {"host": "127.0.0.1", "port": self.port, "dbname": "otpdb", "user": "otp",
              "sslmode": "verify-full", "sslrootcert": self.ca}
        for k in ("passfile", "sslcert", "sslkey", "sslcrl", "sslcrldir"):
            kw[k] = NOWHERE
        kw.update({"target_session_attrs": "read-write", "application_name": app,
                   "options": "-c statement_timeout={0}s -c lock_timeout={0}s "
                              "-c idle_in_transaction_session_timeout={0}s".format(PG_TIMEOUT),
                   "connect_timeout": str(PG_TIMEOUT), "gssencmode": "disable", "client_encoding": "UTF8",
                   "password": self.password})
        if variant.startswith("unix"):
            kw.update({"host": self.sock, "sslmode": "disable"})
            del kw["sslrootcert"]
        if variant == "tcp_trust":
            kw["sslmode"] = "disable"
        if variant.endswith("trust"):
            kw["user"] = "bench_trust"
            del kw["password"]
        return ["%s=%s" % kv for kv in kw.items()]

    def floor(self, variant="tls_scram", split=False, rtts=0, runs=1):
        """pgfloor's measures; with runs = 2, the second connection's too
        (made by a process that has made one: libpq's and OpenSSL's one-time
        set-up done, as in a login, where the module has set OpenSSL up)."""
        args = [self.pgfloor, "-n", str(runs)] + (["-s"] if split else []) + \
            (["-r", str(rtts)] if rtts else []) + self.floor_params(variant)
        t0 = time.perf_counter()
        r = subprocess.run(args, env={}, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit("pgbench: pgfloor (%s): %s" % (variant, r.stderr.strip()))
        ms = [json.loads(line) for line in r.stdout.splitlines()]
        ms[0]["process"] = wall * 1000
        return ms[0] if runs == 1 else ms

    # ------------------------------------------------------------ phases
    def sequential(self):
        res = {"file": [], "file_tmpfs": [], "postgresql": [], "floor": []}
        self.login(self.file, "seq")
        self.login(self.file_shm, "seq")
        self.login(self.pg, "seq")
        self.floor()
        pgss = self.sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") == "1"
        if pgss:
            self.sql("SELECT pg_stat_statements_reset()")
        for i in range(N):
            for key, host in (("file", self.file), ("file_tmpfs", self.file_shm),
                              ("postgresql", self.pg)):
                m = self.login(host, "seq")
                if not m["ok"]:
                    raise SystemExit("pgbench: %s login %d failed (rc %d): %s"
                                     % (key, i, m["rc"], m["out"]))
                res[key].append(m["wall"] * 1000)
            res["floor"].append(self.floor())
        res["pg_stat_statements"] = self.statement_times(N) if pgss else None
        return res

    def statement_times(self, logins):
        """The server's time for the module's statements in LOGINS logins
        (pg_stat_statements: planning + execution; the floor's SELECT 1 left
        out), per statement as normalised, and per login."""
        rows = self.sql(
            "SELECT calls, total_plan_time + total_exec_time, "
            "regexp_replace(left(query, 60), '\\s+', ' ', 'g') FROM pg_stat_statements s "
            "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'otp' "
            "AND query <> 'SELECT $1' ORDER BY 2 DESC")
        out = []
        for line in rows.splitlines():
            calls, ms, q = line.split("|", 2)
            out.append({"query": q, "calls_per_login": int(calls) / logins,
                        "ms_per_login": float(ms) / logins,
                        "ms_per_call": float(ms) / int(calls)})
        return {"logins": logins, "statements": out,
                "calls_per_login": sum(x["calls_per_login"] for x in out),
                "ms_per_login": sum(x["ms_per_login"] for x in out)}

    VARIANTS = ("unix_trust", "unix_scram", "tcp_trust", "tls_trust", "tls_scram")
    # tls_scram_2nd: the second connection of a tls_scram process

    def split(self):
        """The floor five ways, round robin, N each; and dlopen(libpq)."""
        res = {v: [] for v in self.VARIANTS + ("tls_scram_2nd",)}
        for v in self.VARIANTS:
            self.floor(v)
        for i in range(N):
            for v in self.VARIANTS:
                if v == "tls_scram":
                    first, second = self.floor(v, split=True, rtts=20, runs=2)
                    res[v].append(first)
                    res["tls_scram_2nd"].append(second)
                else:
                    res[v].append(self.floor(v, split=True))
        load = []
        for i in range(N):
            r = subprocess.run([self.pqload, MODULE], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit("pgbench: pqload: %s" % r.stderr.strip())
            load.append(float(r.stdout))
        return res, load

    def profiled(self):
        """PROFILED logins with every statement logged; the log parsed."""
        self.sql("ALTER SYSTEM SET log_min_duration_statement = 0")
        self.sql("ALTER SYSTEM SET log_disconnections = on")
        self.sql("SELECT pg_reload_conf()")
        time.sleep(0.2)
        start = os.path.getsize(self.pglog)
        try:
            for i in range(PROFILED):
                m = self.login(self.pg, "seq")
                if not m["ok"]:
                    raise SystemExit("pgbench: profiled login failed: %s" % m["out"])
        finally:
            self.sql("ALTER SYSTEM RESET log_min_duration_statement")
            self.sql("ALTER SYSTEM RESET log_disconnections")
            self.sql("SELECT pg_reload_conf()")
        time.sleep(0.2)
        with open(self.pglog, "rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
        return parse_log(text)

    def at_once(self, users):
        """CONC logins at once, login i through host i % HOSTS as users[i]."""
        # other work on the machine shows here (the 1-minute load average)
        load0 = os.getloadavg()[0]
        log0 = os.path.getsize(self.pglog)
        n0 = self.sms_total()
        with self.cv:
            h0 = [self.sms_lines.get(h["outbox"], 0) for h in self.hosts]
        # the logins' syslog lines, to tell why one failed
        syslog = os.path.join(T, "syslog-%d.log" % log0)
        self.login_env = dict(self.env, LD_PRELOAD="libnss_wrapper.so " + self.syslogcap,
                              SMSOTP_BENCH_SYSLOG=syslog)
        try:
            total, ms = bench.Bench._at_once(
                None, self.login, [(self.hosts[i % HOSTS], users[i]) for i in range(CONC)])
        finally:
            self.login_env = self.env
        for m in [m for m in ms if not m["prompted"] and not m["capped"]][:3]:
            print("pgbench: a login at once neither prompted nor told the cap (rc %d): %s"
                  % (m["rc"], m["out"].strip()), file=sys.stderr)
        lat = [m["wall"] * 1000 for m in ms]
        return {"n": CONC, "loadavg_before": load0, "loadavg_after": os.getloadavg()[0], "hosts": HOSTS, "wall_s": total, "logins_per_s": CONC / total,
                "latency_ms": stats(lat), "sms": self.sms_total() - n0,
                "prompted": sum(m["prompted"] for m in ms),
                "told_cap": sum(m["capped"] and not m["prompted"] for m in ms),
                "succeeded": sum(m["ok"] for m in ms),
                "neither": sum(not m["prompted"] and not m["capped"] for m in ms),
                "rc": {str(k): sum(m["rc"] == k for m in ms) for k in sorted({m["rc"] for m in ms})},
                "sms_per_host": [self.sms_lines.get(h["outbox"], 0) - n
                                 for h, n in zip(self.hosts, h0)],
                "server_errors": self.server_errors(log0),
                "module_errors": module_errors(syslog)}

    def server_errors(self, start):
        """The server's ERROR and FATAL lines since START, counted by message
        (a statement timeout is a login that waited longer than timeout for
        the user's row, or for a CPU; a connect timeout leaves no line)."""
        with open(self.pglog, "rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
        out = {}
        for line in text.splitlines():
            m = LINE.match(line)
            if m and m.group(4) in ("ERROR", "FATAL"):
                key = "%s: %s" % (m.group(4), m.group(5))
                out[key] = out.get(key, 0) + 1
        return out

    def concurrent(self):
        one = self.at_once(["capped"] * CONC)
        one["max_sends"] = CAP
        one["db_sends"] = int(self.sql("SELECT coalesce(sum(sends), 0) FROM smsotp_users "
                                       "WHERE username = 'capped'"))
        one["sms_to_user"] = self.to_count.get(self.phone_of["capped"], 0)
        many = self.at_once(["d%04d" % i for i in range(CONC)])
        rows = self.sql("SELECT sends FROM smsotp_users WHERE username LIKE 'd%'").split()
        many["db_rows"] = len(rows)
        many["db_sends_1"] = sum(1 for s in rows if s == "1")
        many["users_with_one_sms"] = sum(1 for i in range(CONC)
                                         if self.to_count.get(self.phone_of["d%04d" % i]) == 1)
        return {"one_user": one, "many_users": many}


LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+ \[(\d+)\] (\S*) ?(LOG|DETAIL|"
                  r"ERROR|STATEMENT|WARNING|FATAL):  (.*)$")


def module_errors(path):
    """The logins' syslog lines of priority warning or worse, counted by
    message (numbers and names made alike)."""
    out = {}
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        pri, _, msg = line.partition(" ")
        if not pri.isdigit() or int(pri) > 4 or "file simulation provider" in msg:
            continue  # the outbox's warning at every send is not an error
        msg = re.sub(r"\d+", "N", re.sub(r"\b(capped|d\d{4})\b", "USER", msg))
        out[msg] = out.get(msg, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def parse_log(text):
    """Per backend of pam_smsotp: statements (execute lines), their server
    time (parse + bind + execute), the span from the connection received to
    authorized and to the first statement, and the session time."""
    def ts(s):
        return time.mktime(time.strptime(s[:19], "%Y-%m-%d %H:%M:%S")) + float(s[19:]) 

    sessions = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m or m.group(4) != "LOG":
            continue
        t, pid, app, msg = ts(m.group(1)), m.group(2), m.group(3), m.group(5)
        s = sessions.setdefault(pid, {"app": "", "stmts": [], "server_ms": 0.0})
        if app and app != "[unknown]":
            s["app"] = app
        if msg.startswith("connection received"):
            s["received"] = t
        elif msg.startswith("connection authorized"):
            s["authorized"] = t
        elif msg.startswith("duration:"):
            d = re.match(r"duration: ([\d.]+) ms  (parse|bind|execute) [^:]*: (.*)", msg)
            if d:
                s["server_ms"] += float(d.group(1))
                s["pending"] = s.get("pending", 0.0) + float(d.group(1))
                if d.group(2) == "execute":
                    s.setdefault("first", t)
                    s["last"] = t
                    kind = d.group(3).split()[0].upper() + (
                        " ... FOR UPDATE" if "FOR UPDATE" in d.group(3) else "")
                    s["stmts"].append(kind)
                    s["each_ms"] = s.get("each_ms", []) + [s.pop("pending")]
        elif msg.startswith("disconnection: session time: "):
            h, mi, sec = msg.split()[3].split(":")
            s["session_ms"] = (int(h) * 3600 + int(mi) * 60 + float(sec)) * 1000
    logins = [s for s in sessions.values() if s["app"] == "pam_smsotp" and s["stmts"]]
    if not logins:
        return {"logins": 0}
    kinds = {}
    for st in logins[0]["stmts"]:
        kinds[st] = kinds.get(st, 0) + 1
    return {
        "logins": len(logins),
        "statements_per_login": stats([len(s["stmts"]) for s in logins]),
        "statements_of_one_login": logins[0]["stmts"],
        "statement_kinds": kinds,
        "server_ms_per_login": stats([s["server_ms"] for s in logins]),
        "server_ms_per_statement": med([s["server_ms"] / len(s["stmts"]) for s in logins]),
        # parse + bind + execute of the i-th statement, median over the logins
        "server_ms_by_position": [
            {"statement": logins[0]["stmts"][i],
             "ms": med([s["each_ms"][i] for s in logins if len(s["each_ms"]) > i])}
            for i in range(len(logins[0]["stmts"]))],
        "received_to_authorized_ms": stats([(s["authorized"] - s["received"]) * 1000
                                            for s in logins if "authorized" in s and "received" in s]),
        "authorized_to_first_statement_ms": stats([(s["first"] - s["authorized"]) * 1000
                                                   for s in logins if "authorized" in s]),
        "first_to_last_statement_ms": stats([(s["last"] - s["first"]) * 1000 for s in logins]),
        "session_ms": stats([s["session_ms"] for s in logins if "session_ms" in s]),
    }


def main():
    os.makedirs(OUTDIR, exist_ok=True)
    b = PgBench()
    load_start = os.getloadavg()[0]
    try:
        b.setup()
        print("pgbench: PostgreSQL on 127.0.0.1:%s (TLS, SCRAM); %s" % (b.port, b.db_init),
              flush=True)
        print("pgbench: %d logins each with store = file and postgresql, and %d floors, "
              "alternating" % (N, N), flush=True)
        seq = b.sequential()
        print("pgbench: the floor split five ways, %d each; dlopen(libpq) %d times" % (N, N),
              flush=True)
        split, load = b.split()
        print("pgbench: %d logins with every statement logged" % PROFILED, flush=True)
        prof = b.profiled()
        print("pgbench: %d logins at once over %d hosts: one user (max_sends = %d), then %d users"
              % (CONC, HOSTS, CAP, CONC), flush=True)
        conc = b.concurrent()
    finally:
        b.cleanup()
    res = summarize(seq, split, load, prof, conc)
    res["loadavg_start_end"] = [load_start, os.getloadavg()[0]]
    path = os.path.join(OUTDIR, "results.json")
    allres = {"machine": bench.machine()}
    if ENV.get("BENCH_MAIN", "1") != "0":
        # beside the figures the first part of make bench has just written
        try:
            with open(path) as f:
                allres = json.load(f)
        except (OSError, ValueError):
            pass
    allres["postgresql"] = res
    with open(path, "w") as f:
        json.dump(allres, f, indent=1)
    report(res, path)
    return 0 if all(res["verdict"].values()) else 1


def summarize(seq, split, load, prof, conc):
    floor = [m["total"] for m in seq["floor"]]
    F, P, Z = med(seq["file"]), med(seq["postgresql"]), med(floor)
    sp = {v: {k: stats([m[k] for m in ms]) for k in ms[0] if k != "process"}
          for v, ms in split.items() if ms}
    m = lambda v, k="connect": sp[v][k]["median"]  # noqa: E731
    breakdown = {
        "backend_start_unix_trust_ms": m("unix_trust"),
        "tcp_loopback_ms": m("tcp_trust") - m("unix_trust"),
        "tls_ms": m("tls_trust") - m("tcp_trust"),
        "scram_over_tls_ms": m("tls_scram") - m("tls_trust"),
        "scram_over_unix_ms": m("unix_scram") - m("unix_trust"),
        "poll_tcp_ms": m("tls_scram", "tcp"), "poll_tls_ms": m("tls_scram", "tls"),
        "poll_auth_and_start_ms": m("tls_scram", "auth"),
        "select1_ms": m("tls_scram", "select"), "finish_ms": m("tls_scram", "finish"),
        "round_trip_ms": m("tls_scram", "rtt"),
        "client_cpu_tls_scram_ms": m("tls_scram", "cpu"),
        "client_cpu_tls_trust_ms": m("tls_trust", "cpu"),
        "dlopen_libpq_ms": med(load),
        "second_connection_ms": m("tls_scram_2nd"),
        "first_connection_extra_ms": m("tls_scram") - m("tls_scram_2nd"),
        "client_cpu_2nd_ms": m("tls_scram_2nd", "cpu"),
    }
    extra = P - F - Z
    stm = prof.get("statements_per_login", {}).get("median", 0) or 0
    pgss = seq.get("pg_stat_statements")
    server = pgss["ms_per_login"] if pgss else prof.get("server_ms_per_login", {}).get("median", 0)
    # what a login pays beyond the floor, and what the floor pays that a
    # login does not (OpenSSL's one-time set-up: the module has done it)
    accounted = {
        "dlopen_libpq": breakdown["dlopen_libpq_ms"],
        "statement_round_trips": stm * breakdown["round_trip_ms"],
        "statement_server_time": server,
        "floor_first_connection_setup": -breakdown["first_connection_extra_ms"],
        # postgresql - file takes out the file store's fsyncs (the bench
        # cluster commits without any)
        "file_store_fsyncs": -(F - med(seq["file_tmpfs"])),
    }
    one, many = conc["one_user"], conc["many_users"]
    verdict = {
        "latency": P - F <= Z + GOAL_MS,
        "one_user_exact": (one["sms"] == CAP and one["db_sends"] == CAP and one["prompted"] == CAP
                           and one["told_cap"] == CONC - CAP and one["neither"] == 0),
        "many_users_exact": (many["sms"] == CONC and many["succeeded"] == CONC
                             and many["db_sends_1"] == CONC and many["users_with_one_sms"] == CONC),
    }
    return {
        "n": N, "timeout_s": PG_TIMEOUT, "goal": "median(postgresql) - median(file) <= median(floor) + %g ms" % GOAL_MS,
        "login_ms": {k: stats(seq[k]) for k in ("file", "file_tmpfs", "postgresql")},
        "pg_minus_file_tmpfs_ms": P - med(seq["file_tmpfs"]),
        "floor_ms": stats(floor),
        "floor_process_ms": stats([m["process"] for m in seq["floor"]]),
        "pg_minus_file_ms": P - F, "over_floor_ms": extra,
        "split_ms": sp, "breakdown_ms": breakdown, "dlopen_libpq_ms": stats(load),
        "statements": prof,
        "pg_stat_statements": seq.get("pg_stat_statements"),
        "over_floor_accounted_ms": accounted,
        "unexplained_ms": extra - sum(accounted.values()),
        "concurrent": conc, "verdict": verdict,
        "sequential_ms": {"file": seq["file"], "file_tmpfs": seq["file_tmpfs"],
                          "postgresql": seq["postgresql"], "floor": floor},
    }


def report(r, path):
    pf = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    L, Z, b, st = r["login_ms"], r["floor_ms"], r["breakdown_ms"], r["statements"]
    one, many = r["concurrent"]["one_user"], r["concurrent"]["many_users"]
    print()
    print("docs/performance.md snippet (the PostgreSQL store):")
    print()
    print("PostgreSQL store (TLS verify-full, SCRAM, loopback), %d runs each, alternating; "
          "1-minute load average %.1f at the start, %.1f at the end:"
          % (r["n"], r["loadavg_start_end"][0], r["loadavg_start_end"][1]))
    print()
    print("| | wall median | p90 |")
    print("|---|---|---|")
    for name, s in (("login, store = \"file\"", L["file"]),
                    ("login, store = \"file\", state_dir on tmpfs (fsync free)", L["file_tmpfs"]),
                    ("login, store = \"postgresql\"", L["postgresql"]),
                    ("floor: new connection + `SELECT 1` (`tests/bench/pgfloor.c`)", Z)):
        print("| %s | %.1f ms | %.1f ms |" % (name, s["median"], s["p90"]))
    print("| postgresql − file | %.1f ms | |" % r["pg_minus_file_ms"])
    print("| postgresql − file on tmpfs (no durable flush on either side: the bench cluster "
          "runs with fsync = off) | %.1f ms | |" % r["pg_minus_file_tmpfs_ms"])
    print("| goal: postgresql − file ≤ floor + %g ms | %.1f ≤ %.1f ms | %s |" % (
        GOAL_MS, r["pg_minus_file_ms"], Z["median"] + GOAL_MS, pf(r["verdict"]["latency"])))
    print("| the same with file on tmpfs (not judged) | %.1f ≤ %.1f ms | %s |" % (
        r["pg_minus_file_tmpfs_ms"], Z["median"] + GOAL_MS,
        pf(r["pg_minus_file_tmpfs_ms"] <= Z["median"] + GOAL_MS)))
    print()
    print("Where the time goes (medians, ms):")
    print()
    print("| part | ms | measured as |")
    print("|---|---|---|")
    rows = (
        ("backend start (fork, init), unix socket, trust", b["backend_start_unix_trust_ms"],
         "connect over the unix socket, no TLS, no password"),
        ("TCP over loopback", b["tcp_loopback_ms"], "127.0.0.1 without TLS − unix socket"),
        ("TLS handshake (TLSv1.3, verify-full)", b["tls_ms"], "TLS − plain TCP, both trust"),
        ("SCRAM-SHA-256", b["scram_over_tls_ms"], "TLS + SCRAM − TLS + trust (over the unix "
         "socket: %.1f)" % b["scram_over_unix_ms"]),
        ("`SELECT 1`, PQfinish", b["select1_ms"] + b["finish_ms"], "in the floor"),
        ("one statement's round trip on the connection", b["round_trip_ms"],
         "median of 20 `SELECT 1` over TLS"),
        ("dlopen(\"libpq.so.5\") and its 20 libraries", b["dlopen_libpq_ms"],
         "`tests/bench/pqload.c`, in a process with the module loaded"),
    )
    for name, v, how in rows:
        print("| %s | %.2f | %s |" % (name, v, how))
    print()
    print("Inside the floor's connect (PQconnectPoll): TCP %.2f, SSLRequest + backend fork + TLS "
          "%.2f, SCRAM + backend start-up to ReadyForQuery %.2f ms; client CPU %.2f ms with "
          "SCRAM, %.2f without." % (b["poll_tcp_ms"], b["poll_tls_ms"], b["poll_auth_and_start_ms"],
                                    b["client_cpu_tls_scram_ms"], b["client_cpu_tls_trust_ms"]))
    if st.get("logins"):
        print("A login's statements (server log, %d logins): %d statements, sent 2 or 3 in one "
              "round trip (libpq's pipeline mode): %s; server time "
              "%.2f ms in all (%.3f ms each); session %.1f ms as the server saw it, of which "
              "TLS + SCRAM %.1f ms (connection received to authorized)."
              % (st["logins"], st["statements_per_login"]["median"],
                 ", ".join("%s ×%d" % kv for kv in st["statement_kinds"].items()),
                 st["server_ms_per_login"]["median"], st["server_ms_per_statement"],
                 st["session_ms"]["median"], st["received_to_authorized_ms"]["median"]))
    if st.get("logins"):
        first = st["server_ms_by_position"][0]
        print("The first statement of a login (%s, on a backend just started: its catalog "
              "caches are cold) takes %.2f ms of server time; the other %d together %.2f ms."
              % (first["statement"], first["ms"], len(st["server_ms_by_position"]) - 1,
                 sum(x["ms"] for x in st["server_ms_by_position"][1:])))
    pgss = r["pg_stat_statements"]
    if pgss:
        print("pg_stat_statements over the %d timed logins (planning + execution, no statement "
              "logging): %.1f statements, %.2f ms per login; the costliest: %s."
              % (pgss["logins"], pgss["calls_per_login"], pgss["ms_per_login"],
                 "; ".join("%s… %.2f ms a call" % (x["query"][:40], x["ms_per_call"])
                           for x in pgss["statements"][:2])))
    a = r["over_floor_accounted_ms"]
    print("Over the floor, %.1f ms: dlopen(libpq) %.1f + %d statements' round trips %.1f + their server time "
          "%.1f − OpenSSL's first-use set-up the floor pays and a login does not %.1f "
          "(a second connection in the same process: %.1f ms) − the file store's fsyncs, which "
          "postgresql − file takes out %.1f (file − file on tmpfs); other %.1f ms (the cold "
          "backend's parsing, not in pg_stat_statements, and noise)."
          % (r["over_floor_ms"], a["dlopen_libpq"], st.get("statements_per_login", {}).get("median", 0),
             a["statement_round_trips"], a["statement_server_time"],
             -a["floor_first_connection_setup"], b["second_connection_ms"],
             -a["file_store_fsyncs"], r["unexplained_ms"]))
    print()
    print("| %d logins at once over %d hosts, one database | wall | logins/s | latency p50 / p90 | "
          "SMS | counts | |" % (one["n"], one["hosts"]))
    print("|---|---|---|---|---|---|---|")
    print("| one user, max_sends = %d | %.1f s | %.0f | %.0f / %.0f ms | %d | database sends %d; "
          "%d prompted, %d told the cap, %d neither | %s |" % (
              one["max_sends"], one["wall_s"], one["logins_per_s"], one["latency_ms"]["median"],
              one["latency_ms"]["p90"], one["sms"], one["db_sends"], one["prompted"],
              one["told_cap"], one["neither"], pf(r["verdict"]["one_user_exact"])))
    print("| %d users, one login each | %.1f s | %.0f | %.0f / %.0f ms | %d | %d succeeded; %d "
          "rows with sends = 1 | %s |" % (
              many["n"], many["wall_s"], many["logins_per_s"], many["latency_ms"]["median"],
              many["latency_ms"]["p90"], many["sms"], many["succeeded"], many["db_sends_1"],
              pf(r["verdict"]["many_users_exact"])))
    print()
    print("At once: load average %.1f → %.1f (one user), %.1f → %.1f (%d users); a login that "
          "neither got a code nor was told the cap was refused by the store (\"The SMS code "
          "check is not available\": timeout = %d s for each connection and statement), "
          "counted SMS and database sends still match. The server's errors: %s; %s. "
          "The logins' own (syslog): %s; %s." % (
              one["loadavg_before"], one["loadavg_after"], many["loadavg_before"],
              many["loadavg_after"], many["n"], r["timeout_s"],
              ", ".join("%s ×%d" % kv for kv in one["server_errors"].items()) or "none",
              ", ".join("%s ×%d" % kv for kv in many["server_errors"].items()) or "none",
              "; ".join("%s ×%d" % kv for kv in list(one["module_errors"].items())[:4]) or "none",
              "; ".join("%s ×%d" % kv for kv in list(many["module_errors"].items())[:4]) or "none"))
    print()
    print("wrote %s (key \"postgresql\")" % path)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as e:
        if isinstance(e.code, str):  # a run that broke, not a goal missed
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise

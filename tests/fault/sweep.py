#!/usr/bin/env python3
"""tests/fault/sweep.py: the driver of tests/pam/fault_sweep.sh.

Runs one login after another (pamtester under pam_wrapper and nss_wrapper,
with tests/fault/shim.c preloaded first), each with one fault or one limit,
and checks after each that the module kept its promises:

  success    no PAM_SUCCESS without the right code given (the code of an
             SMS the gateway received for this run)
  uncounted  every answer the module judged raised the user's wrong-code
             count: judged means the module ran CRYPTO_memcmp after the
             answer was read (the shim sees it), or the user was told
             "Wrong code" / "Too many" / "locked" in a login that sent a
             code (without a code, those prompts are the stand-in ones
             shown to users who get no SMS)
  give-back  every SMS the gateway received for the run is counted in the
             user's sends (also SMS that arrive after the run ended)
  leftover   no temporary file (*.tmp*, *.PID) in state_dir once the state
             was read again, nor any file a clean login does not leave
  state      the state is readable after the run (smsotp status)
  spent      after a success no code is left pending; the census replays
             its code in a second login, which must fail
  crash      pamtester did not hang, and did not crash in the module's own
             code (a crash in a library the module called, such as
             libconfig's config_init on ENOMEM, is a note: it fails closed)

Scenarios: "right" answers the code of the run's SMS at the first prompt;
"wrong" answers a wrong code (the right one with its last digit changed) at
every prompt, and the configuration locks the user at the second.

Modes:
  faults  a census login lists every call the shim counts, then for each
          process, each function class and k = 1, 2, ...: a login whose
          k-th call of that class in that process fails, until one runs
          clean (its k-th call never happens).  --max-k bounds k; going
          over it is a failure, not a silent stop.  The wrong-code sweep
          starts after the calls that precede the first answer: up to
          there the login is the right-code one (checked: same calls at
          the same sites), already swept, send process included.
  limits  RLIMIT_FSIZE from 0 to above the largest write of the module,
          with SIGXFSZ left alone and ignored, for a fresh login and for
          one that reuses a code sent by a login before it (no state write
          before the answer, as in the audit's attack); RLIMIT_NOFILE from
          what pamtester has open to 20 more

Every run has its own phone number (+4477009NNNNN), so that each SMS in the
gateway's log belongs to exactly one run even when it arrives late;
state_dir is removed before each run.  Each violation is printed with the
fault (function, k, process, errno, the module's offset and the stack from
the shim, the module's frames with function and line), the counts and what
pamtester said; the same violation at the same call site is printed once,
with the other runs listed.  Exit status 1 on a violation, 2 when the
set-up is broken or a bound is exceeded.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

CLASSES = ["malloc", "open", "write", "fsync", "rename", "fork", "socketpair",
           "read", "send", "recv"]
PROMPT = "SMS code sent to"
JUDGED_RE = re.compile(r"Wrong code|Too many|locked")
CODE_RE = re.compile(r"CODE=(\S+)")
PWRAP_RE = re.compile(r"PWRAP_[A-Z]+\[.*$", re.M)
HEX_USER_RE = re.compile(r"[0-9a-f]{64}")
TEMP_RE = re.compile(r"\.tmp|\.[0-9]+$")
RUN_TIMEOUT = 30.0
PWRAP_CLASH = "Failed to create pam_wrapper config dir"


class Setup(Exception):
    pass


def kv_fields(line):
    return dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)


def parse_report(text):
    """The shim's records: faults, crashes and failures of the module's own
    calls (under a limit) with their stacks, events, census calls (in
    order), limits."""
    rep = {"faults": [], "crashes": [], "natural": [], "events": [], "calls": [],
           "limits": {}, "errors": [], "taken": None}
    lists = {"FAULT": "faults", "CRASH": "crashes", "FAILED": "natural"}
    cur = None
    for line in text.splitlines():
        if line.split(" ", 1)[0] in lists:
            cur = kv_fields(line)
            cur["stack"] = []
            rep[lists[line.split(" ", 1)[0]]].append(cur)
        elif line == "END":
            cur = None
        elif cur is not None:
            cur["stack"].append(line)
        elif line.startswith("EVENT "):
            ev = kv_fields(line)
            ev["what"] = line.split()[2]
            rep["events"].append(ev)
            rep["calls"].append(("EVENT", ev))
        elif line.startswith("CALL "):
            rep["calls"].append(("CALL", kv_fields(line)))
        elif line.startswith("LIMITS ") and not rep["limits"]:
            rep["limits"] = kv_fields(line)
        elif line.startswith("ERROR "):
            rep["errors"].append(line)
        elif line.startswith("TAKEN "):
            rep["taken"] = line
    return rep


class Sweep:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.runs = []
        self.violations = []
        self.notes = []
        self.gw_off = 0
        self.sms = {}
        self.n = 0
        self.write_sizes = set()
        # the files a clean login leaves in state_dir, a user's hex name
        # as <user>: the census adds what a newer module keeps there
        self.expected = {"<user>", "<user>.lock", "secret.key"}
        self.attacks = {}
        self.crash_notes = {}

    # ------------------------------------------------------------ gateway

    def gw_poll(self):
        try:
            with open(self.a.gw_log, "rb") as f:
                f.seek(self.gw_off)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        self.gw_off += end
        for line in data[:end].splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            j = r.get("json") if isinstance(r.get("json"), dict) else {}
            self.sms.setdefault(j.get("to", "?"), []).append(str(j.get("text", "")))

    def sms_for(self, number):
        self.gw_poll()
        return self.sms.get(number, [])

    # ------------------------------------------------------------ one login

    def number(self, n):
        return "+4477009%05d" % n

    def set_number(self, number):
        tmp = self.a.phones + ".new"
        with open(tmp, "w") as f:
            f.write("alice %s\n" % number)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.a.phones)

    def answer_for(self, scenario, number):
        """The answer to a prompt, and whether it is the right code."""
        texts = self.sms_for(number)
        m = CODE_RE.search(texts[-1]) if texts else None
        if m is None:
            return "000000", False
        code = m.group(1)
        if scenario == "right":
            return code, True
        return code[:-1] + ("1" if code[-1] != "1" else "2"), False

    def env(self, fault):
        """pamtester's environment: the shim first, then the wrappers."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("FAULT_")}
        e.update({
            "LD_PRELOAD": self.a.shim + " libpam_wrapper.so libnss_wrapper.so",
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.a.svc,
            "PAM_WRAPPER_DEBUGLEVEL": "2",
            "NSS_WRAPPER_PASSWD": self.a.passwd,
            "NSS_WRAPPER_GROUP": self.a.group,
            "FAULT_PWRAP_CLAIM": "1",
            "FAULT_MODULE": self.a.module,
            "FAULT_DEPTH": str(self.a.depth),
        })
        for k, v in fault.items():
            e["FAULT_" + k.upper()] = str(v)
        return e

    def pamtester(self, env, extra_fds=()):
        """Starts pamtester, its input and output through pipes."""
        p = subprocess.Popen(["pamtester", "-v", "smsotp", "alice", "authenticate"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env, pass_fds=extra_fds,
                             cwd=self.a.dir)
        for fd in extra_fds:
            os.close(fd)
        if self.a.pids:
            with open(self.a.pids, "a") as f:
                f.write("%d\n" % p.pid)
        return p

    def login(self, scenario, fault, prime=False):
        """One run, repeated (up to twice) when another process took
        pam_wrapper's folder: the run did not test what it meant to."""
        for _ in range(3):
            run = self.login_once(scenario, fault, prime)
            if run is not None:
                self.inspect(run)
                self.runs.append(run)
                if self.a.verbose:
                    self.print_run(run)
                return run
        raise Setup("three logins in a row shared pam_wrapper's folder with another "
                    "process")

    def print_run(self, run):
        st = run["status"] or {}
        print("run %d %s: %s -> exit %d, prompts %d, answers %s, compared %d, wrong %s, "
              "sends %s, SMS %d, %d ms%s" % (
                  run["n"], run["scenario"], self.describe_fault(run), run["rc"],
                  run["prompts"], " ".join(run["given"]) or "-", run["compares"],
                  st.get("wrong", "?"), st.get("sent", "?"), run["sms"], run["ms"],
                  "".join(" [failed %s #%s in %s]" % (f.get("fn"), f.get("k"), f.get("proc"))
                          for f in run["faults"])))

    def login_once(self, scenario, fault, prime):
        """A fresh state_dir and number, optionally a login that sends a
        code and leaves it pending, then the login under test; None when
        pam_wrapper's folder was another process's."""
        self.n += 1
        n = self.n
        number = self.number(n)
        if os.path.lexists(self.a.state_dir):
            shutil.rmtree(self.a.state_dir)
        self.set_number(number)
        if prime and not self.prime(number):
            self.notes.append("run %d repeated: pam_wrapper's folder was shared with another "
                              "process (the login before it)" % n)
            return None
        rfd, wfd = os.pipe()
        t = time.monotonic()
        p = self.pamtester(self.env(dict(fault, report_fd=wfd)), (wfd,))
        out, rep = b"", b""
        answered, given, hung, ended, right_given = 0, [], False, None, False
        fds = {p.stdout.fileno(): "out", rfd: "rep"}
        deadline = t + RUN_TIMEOUT
        while fds:
            if ended is None and p.poll() is not None:
                # a child of pamtester may hold the pipes a little longer
                ended = time.monotonic()
                deadline = min(deadline, ended + 3)
            left = deadline - time.monotonic()
            if left <= 0:
                hung = ended is None
                break
            ready, _, _ = select.select(list(fds), [], [], min(left, 0.2))
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    del fds[fd]
                    continue
                if fds[fd] == "rep":
                    rep += chunk
                    continue
                out += chunk
                prompts = PWRAP_RE.sub("", out.decode("utf-8", "replace")).count(PROMPT)
                while answered < prompts:
                    ans, right = self.answer_for(scenario, number)
                    given.append(ans)
                    right_given = right_given or right
                    answered += 1
                    try:
                        p.stdin.write((ans + "\n").encode())
                        p.stdin.flush()
                    except OSError:
                        pass
        if hung:
            p.kill()
        try:
            p.stdin.close()
        except OSError:
            pass
        rc = p.wait()
        os.close(rfd)
        p.stdout.close()
        if fds and not hung:
            self.notes.append("run %d: a process of the login still held its output "
                              "3 s after pamtester ended" % n)
        run = {"n": n, "scenario": scenario, "fault": fault, "prime": prime,
               "number": number, "rc": rc, "hung": hung,
               "ms": int((time.monotonic() - t) * 1000), "given": given,
               "right_given": right_given,
               "out": out.decode("utf-8", "replace")}
        run.update(parse_report(rep.decode("utf-8", "replace")))
        if run["errors"]:
            raise Setup("the shim: " + "; ".join(run["errors"]))
        if run["taken"] or PWRAP_CLASH in run["out"]:
            self.notes.append("run %d repeated: pam_wrapper's folder was shared with another "
                              "process (%s)" % (n, run["taken"] or PWRAP_CLASH))
            return None
        return run

    def prime(self, number):
        """A login without faults that sends a code and is killed at its
        prompt (an end of input would be read as empty answers, then wrong
        ones): the code stays pending for the next login."""
        p = self.pamtester(self.env({}))
        out, deadline = b"", time.monotonic() + RUN_TIMEOUT
        while PROMPT.encode() not in out and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
        p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()
        if PWRAP_CLASH.encode() in out:
            return False
        if len(self.sms_for(number)) != 1 or PROMPT.encode() not in out:
            raise Setup("the login that primes a pending code sent %d SMS:\n%s" %
                        (len(self.sms_for(number)), out.decode("utf-8", "replace")))
        return True

    # ------------------------------------------------------------ after a login

    def status(self):
        r = subprocess.run([self.a.tool, "-c", self.a.conf, "status", "--json", "alice"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        if r.returncode != 0:
            return None, r.stderr.decode("utf-8", "replace").strip()
        try:
            return json.loads(r.stdout)[0], ""
        except (ValueError, IndexError, KeyError, TypeError) as e:
            return None, "unreadable output of smsotp status: %s" % e

    def files(self):
        try:
            return sorted(os.listdir(self.a.state_dir))
        except OSError:
            return []

    def inspect(self, run):
        text = PWRAP_RE.sub("", run["out"])
        run["prompts"] = text.count(PROMPT)
        run["judged_msgs"] = sum(1 for l in text.splitlines() if JUDGED_RE.search(l))
        run["success"] = run["rc"] == 0
        # answers judged: a comparison by the module after the i-th answer
        # was read, one per answer
        run["compares"] = len({int(ev.get("after", "0")) for ev in run["events"]
                               if ev["what"] == "compare" and int(ev.get("after", "0")) > 0})
        run["files_before"] = self.files()
        run["status"], run["status_err"] = self.status()
        run["files_after"] = self.files()
        run["sms"] = len(self.sms_for(run["number"]))
        self.check(run)

    def violate(self, run, what, detail):
        self.violations.append((run, what, detail))

    def check(self, run):
        st = run["status"]
        self.check_crash(run)
        if run["success"] and not run["right_given"]:
            self.violate(run, "success", "PAM_SUCCESS without the right code given (answers: "
                         "%s)" % (" ".join(run["given"]) or "none"))
        if st is None:
            self.violate(run, "state", "smsotp status fails after the run: %s" % run["status_err"])
        else:
            msgs = run["judged_msgs"] if run["sms"] > 0 else 0
            judged = max(run["compares"], msgs) if run["scenario"] == "wrong" else 0
            if st["wrong"] < judged:
                self.violate(run, "uncounted",
                             "%d wrong answer(s) judged (the module compared %d answer(s); "
                             "%d wrong/too many/locked message(s)), but the wrong-code "
                             "count is %d" % (judged, run["compares"], run["judged_msgs"],
                                               st["wrong"]))
            if run["sms"] > st["sent"]:
                self.violate(run, "give-back",
                             "the gateway received %d SMS for this run, the user's sends "
                             "say %d" % (run["sms"], st["sent"]))
            if run["success"] and st.get("code") != "none":
                self.violate(run, "spent", "success, but a code is still pending "
                             "(status code=%r): a replay would pass" % st.get("code"))
        if "census" in run["fault"]:
            self.expected |= {self.shape(f) for f in run["files_after"]
                              if not TEMP_RE.search(f)}
        bad = [f for f in run["files_after"] if self.unexpected(f)]
        if bad:
            self.violate(run, "leftover", "in state_dir after the run%s: %s" % (
                "" if st is None else " and a later read of the state", " ".join(bad)))
        else:
            gone = [f for f in run["files_before"] if self.unexpected(f)]
            if gone:
                self.notes.append("run %d: %s left by the login, removed by the next "
                                  "lock" % (run["n"], " ".join(gone)))

    @staticmethod
    def shape(name):
        return HEX_USER_RE.sub("<user>", name)

    def unexpected(self, name):
        """A temporary file (*.tmp*, *.PID), or one no clean login leaves."""
        return bool(TEMP_RE.search(name)) or self.shape(name) not in self.expected

    def check_crash(self, run):
        if run["hung"]:
            self.violate(run, "crash", "pamtester still running after %ds: killed" %
                         RUN_TIMEOUT)
            return
        sig = -run["rc"] if run["rc"] < 0 else 0
        crashes = [c for c in run["crashes"] if int(c["sig"]) != signal.SIGXFSZ]
        if sig == signal.SIGXFSZ and "fsize" in run["fault"]:
            return
        if sig == 0 and not crashes:
            return
        mod = os.path.basename(self.a.module)
        for c in crashes or [{"sig": str(sig), "stack": [], "proc": "p"}]:
            # the frame that crashed: the first after the shim's handler
            # and the kernel's signal trampoline; libc's own frames (a
            # NULL given to strlen) are charged to their caller
            frames = [l for l in c["stack"] if "/shim.so" not in l][1:]
            top = next((l for l in frames if "/libc.so" not in l), frames[0] if frames else "?")
            name = signal.Signals(int(c["sig"])).name
            where = re.sub(r"\(.*$", "", top).rsplit("/", 1)[-1]
            if mod in top:
                self.violate(run, "crash", "process %s died of %s in the module" %
                             (c.get("proc", "p"), name))
            else:
                self.crash_notes.setdefault((c.get("proc", "p"), name, where), []).append(run)

    def recheck_late_sms(self):
        """An SMS may reach the gateway after its run was checked."""
        time.sleep(0.3)
        self.gw_poll()
        for run in self.runs:
            late = len(self.sms.get(run["number"], []))
            st = run["status"]
            if late > run["sms"] and st is not None and late > st["sent"]:
                run["sms"] = late
                self.violate(run, "give-back",
                             "the gateway received %d SMS for this run (some after the "
                             "run ended), the user's sends say %d" % (late, st["sent"]))

    # ------------------------------------------------------------ census

    def census(self, scenario):
        """A login without a fault, every counted call recorded: returns the
        run, the calls per (process, class) and per class before the first
        answer, and the sites of those calls."""
        run = self.login(scenario, {"census": 1})
        if run["success"] != (scenario == "right") or run["sms"] != 1:
            raise Setup("the %s census login should end in %s with one SMS; it ended "
                        "with exit %d and %d SMS:\n%s" % (
                            scenario, "success" if scenario == "right" else "failure",
                            run["rc"], run["sms"], run["out"]))
        counts, before, sites, answered = {}, {}, [], False
        for kind, kv in run["calls"]:
            if kind == "EVENT":
                answered = answered or (kv["what"] == "answer" and kv.get("proc") == "p")
                continue
            key = (kv["proc"], kv["fn"])
            counts[key] = max(counts.get(key, 0), int(kv["n"]))
            if kv["proc"] == "p" and not answered:
                before[kv["fn"]] = int(kv["n"])
                sites.append((kv["fn"], kv["at"]))
            if kv["fn"] == "write" and kv["proc"] == "p" and int(kv.get("len", "-1")) > 0:
                self.write_sizes.add(int(kv["len"]))
        if scenario == "wrong":
            # the oracle must see the module judge: else it is blind
            if run["compares"] != run["prompts"] or run["judged_msgs"] < run["prompts"]:
                raise Setup("the wrong-code census login had %d prompts, %d comparisons "
                            "seen by the shim (CRYPTO_memcmp after an answer) and %d "
                            "wrong/too many/locked messages: the check for uncounted "
                            "answers no longer sees the module judge; update "
                            "tests/fault/shim.c and sweep.py" % (
                                run["prompts"], run["compares"], run["judged_msgs"]))
            if run["status"]["wrong"] != run["prompts"]:
                raise Setup("the wrong-code census login: %d wrong answers, count %d" %
                            (run["prompts"], run["status"]["wrong"]))
        else:
            self.replay(run)
        print("%s: census login: %d counted calls (%s) in %d ms" % (
            scenario, sum(counts.values()),
            ", ".join("%s %s=%d" % (p, f, c) for (p, f), c in sorted(counts.items())),
            run["ms"]))
        return run, counts, before, sites

    def replay(self, run):
        """The code of a successful login, answered again by the next one
        (resend_after lets it reuse a code still pending): must fail."""
        code = run["given"][-1]
        self.set_number(self.number(run["n"]) + "9")
        p = self.pamtester(self.env({}))
        try:
            out, _ = p.communicate((code + "\n").encode(), timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        if p.returncode == 0:
            self.violate(run, "spent", "its code was accepted again by the next login:\n%s"
                         % out.decode("utf-8", "replace"))

    # ------------------------------------------------------------ sweeps

    def check_budget(self, where):
        if time.time() > self.a.deadline:
            raise Setup("past the sweep's time budget after %d logins in %.0f s, at %s "
                        "(the machine is slower than this sweep allows, or a login "
                        "takes longer than it did: see their times below); raise "
                        "FAULT_BUDGET" % (len(self.runs), time.monotonic() - self.t0, where))

    def sweep_faults(self):
        """Both scenarios: every k of every class in every process."""
        right = self.census("right")
        wrong = self.census("wrong")
        for scenario, (_, counts, before, sites) in (("right", right), ("wrong", wrong)):
            plan = sorted(counts, key=lambda pf: (len(pf[0]), pf[0], CLASSES.index(pf[1])))
            start = {}
            if scenario == "wrong":
                if sites == right[3]:
                    plan = [pf for pf in plan if pf[0] == "p"]
                    start = before
                else:
                    self.notes.append("the calls before the first answer differ between "
                                      "the right- and the wrong-code logins: all swept")
            for proc, fn in plan:
                self.sweep_one(scenario, proc, fn, counts[(proc, fn)],
                               start.get(fn, 0) + 1 if proc == "p" else 1)

    def sweep_one(self, scenario, proc, fn, expect, k):
        """k, k+1, ... until the k-th call never happens."""
        while True:
            if k > self.a.max_k:
                raise Setup("%s-code login: %s in process %s still reached call %d: over "
                            "--max-k %d (the census counted %d); raise FAULT_MAX_K, or find "
                            "why a login makes so many calls" % (scenario, fn, proc, k,
                                                                 self.a.max_k, expect))
            self.check_budget("%s call %d in process %s, %s-code login" % (fn, k, proc,
                                                                           scenario))
            fault = {"fn": fn, "k": k, "proc": proc}
            if fn in self.a.errno_for:
                fault["errno"] = self.a.errno_for[fn]
            run = self.login(scenario, fault)
            if not any(f.get("proc") == proc and f.get("fn") == fn for f in run["faults"]):
                break
            k += 1
        if k - 1 != expect:
            self.notes.append("%s: %s in process %s: the census counted %d calls, the "
                              "sweep ran clean at k=%d" % (scenario, fn, proc, expect, k))

    def sweep_limits(self):
        """Both scenarios under each limit; then what a caller learns from
        the pair."""
        run0 = self.census("right")[0]
        self.census("wrong")
        if not run0["limits"]:
            raise Setup("the census login recorded no LIMITS line (no counted call?)")
        fds = int(run0["limits"]["fds"])
        # every size the module writes just fits, and one byte less does not
        sizes = sorted(self.write_sizes) or [256]
        top = max(sizes) + 16
        step = max(1, top // 4)
        fsizes = sorted(set(list(range(0, top + 1, step)) + [top] +
                            [s + d for s in sizes for d in (-1, 0)]))
        limits = []
        for prime in (False, True):
            for xfsz in ("default", "ignore"):
                for v in fsizes:
                    limits.append(({"fsize": v, "xfsz": "ignore"} if xfsz == "ignore"
                                   else {"fsize": v}, prime))
        limits += [({"nofile": v}, False) for v in range(fds, fds + 21)]
        for fault, prime in limits:
            pair = {}
            for scenario in ("right", "wrong"):
                self.check_budget("%s, %s-code login" % (
                    ", ".join("%s=%s" % kv for kv in fault.items()), scenario))
                pair[scenario] = self.login(scenario, fault, prime=prime)
            self.differential(pair)
        print("limits: fsize %s (the module writes %s bytes; SIGXFSZ left alone and "
              "ignored; a fresh login and one reusing a pending code), nofile %d..%d "
              "(pamtester has %d descriptors open)" % (
                  ",".join(map(str, fsizes)), ",".join(map(str, sizes)), fds, fds + 20, fds))

    def differential(self, pair):
        """Under the same limit: the right code passes while a wrong one goes
        uncounted, so a caller can try codes for free."""
        r, w = pair["right"], pair["wrong"]
        if r["success"] and any(v[0] is w and v[1] == "uncounted" for v in self.violations):
            f = dict(w["fault"])
            key = (w["prime"], tuple(sorted((k, v) for k, v in f.items() if k != "fsize" and
                                            k != "nofile")), "fsize" if "fsize" in f else "nofile")
            self.attacks.setdefault(key, []).append((f.get("fsize", f.get("nofile")),
                                                     r["n"], w["n"]))

    # ------------------------------------------------------------ report

    def describe_fault(self, run):
        f = run["fault"]
        if "fn" in f:
            s = "%s call #%s in process %s" % (f["fn"], f["k"], f.get("proc", "p"))
            if "errno" in f:
                s += " (%s)" % f["errno"]
        else:
            s = ", ".join("%s=%s" % kv for kv in sorted(f.items()) if kv[0] != "census") \
                or "none (census)"
        if run.get("prime"):
            s += ", reusing a pending code"
        return s

    def print_violation(self, run, what, detail):
        print("VIOLATION [%s] run %d, %s-code login, fault: %s" % (
            what, run["n"], run["scenario"], self.describe_fault(run)))
        print("  %s" % detail)
        st = run.get("status")
        print("  pamtester exit %s; prompts %d, answers %s; wrong-code count %s, sends %s; "
              "SMS received %d" % (run["rc"], run["prompts"], " ".join(run["given"]) or "-",
                                   st["wrong"] if st else "?", st["sent"] if st else "?",
                                   run["sms"]))
        for f in run["faults"]:
            print("  failed: %s call #%s in process %s (pid %s) with %s, at module offset %s:"
                  % (f.get("fn"), f.get("k"), f.get("proc"), f.get("pid"), f.get("errno"),
                     f.get("at")))
            for line in self.symbolize(f["stack"]):
                print("    " + line)
        for f in run["natural"]:
            print("  failed by itself: %s call #%s in process %s with %s, at module offset "
                  "%s:" % (f.get("fn"), f.get("k"), f.get("proc"), f.get("errno"),
                           f.get("at")))
            for line in self.symbolize(f["stack"]):
                print("    " + line)
        for c in run["crashes"]:
            print("  %s in process %s:" % (
                "killed by the limit (SIGXFSZ)" if int(c["sig"]) == signal.SIGXFSZ else
                "crashed (%s)" % signal.Signals(int(c["sig"])).name, c.get("proc")))
            for line in self.symbolize(c["stack"])[1:]:
                print("    " + line)
        if run["limits"]:
            print("  limits: %s" % " ".join("%s=%s" % kv for kv in run["limits"].items()))
        lines = [l for l in run["out"].splitlines()
                 if l.strip() and "PWRAP_DEBUG" not in l.split(" - ", 1)[0]]
        print("  pamtester said:")
        for l in lines[-12:]:
            print("    | " + l[:300])

    def symbolize(self, stack):
        """The stack without the shim's frames; each of the module's frames
        followed by its functions and lines (addr2line, inlined ones too)."""
        mod = os.path.basename(self.a.module)
        frames = []
        for line in stack:
            if "/shim.so" in line:
                continue
            m = re.search(r"%s\(\+(0x[0-9a-f]+)\)" % re.escape(mod), line)
            frames.append((line, m.group(1) if m else None))
        offs = [o for _, o in frames if o]
        where = {}
        if offs and shutil.which("addr2line"):
            try:
                r = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", self.a.module] +
                                   ["0x%x" % (int(o, 16) - 1) for o in offs],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   timeout=20)
                blocks, cur = {}, None
                for l in r.stdout.decode().splitlines():
                    if re.match(r"^0x[0-9a-f]+$", l):
                        cur = int(l, 16) + 1
                        blocks[cur] = []
                    elif cur is not None:
                        blocks[cur].append(l)
                for addr, ls in blocks.items():
                    where[addr] = " < ".join("%s %s" % (ls[i], self.rel(ls[i + 1]))
                                             for i in range(0, len(ls) - 1, 2))
            except (OSError, subprocess.SubprocessError, ValueError):
                pass
        out = []
        for line, o in frames:
            name = where.get(int(o, 16)) if o else None
            out.append(re.sub(r"\[0x[0-9a-f]+\]$", "", line).rstrip() +
                       ("  " + name if name else ""))
            if "/libpam.so" in line:
                break	# libpam, pamtester, libc's start: the same every time
        return out[:16]

    def rel(self, path):
        root = self.a.root.rstrip("/") + "/"
        return path[len(root):] if path.startswith(root) else path

    def summary(self):
        secs = time.monotonic() - self.t0
        ms = sorted(r["ms"] for r in self.runs)
        print("%s: %d logins in %.1f s (a login: median %d ms, max %d ms)" % (
            self.a.mode, len(self.runs), secs,
            ms[len(ms) // 2] if ms else 0, ms[-1] if ms else 0))
        for note in self.notes:
            print("note: " + note)
        for (proc, name, where), runs in self.crash_notes.items():
            print("note: process %s died of %s in %s, not in the module's code (it fails "
                  "closed), in %d login(s): %s" % (proc, name, where, len(runs), "; ".join(
                      self.describe_fault(r) for r in runs[:12]) + (
                          "; ..." if len(runs) > 12 else "")))
        # the same violation at the same call site (or with the same kind
        # of limit) once in full, then the other runs
        groups = {}
        for run, what, detail in self.violations:
            site = tuple(f.get("at") for f in run["faults"]) or \
                tuple(sorted(k for k in run["fault"] if k not in ("census",)))
            groups.setdefault((what, site, run["prime"]), []).append((run, what, detail))
        for items in groups.values():
            self.print_violation(*items[0])
            if len(items) > 1:
                print("  (and %d more like it: %s)" % (len(items) - 1, "; ".join(
                    "run %d (%s code), %s" % (r["n"], r["scenario"], self.describe_fault(r))
                    for r, _, _ in items[1:])))
        if self.violations:
            kinds = {}
            for _, what, _ in self.violations:
                kinds[what] = kinds.get(what, 0) + 1
            for (prime, rest, lim), hits in self.attacks.items():
                print("ATTACK %s %s%s%s: the right code passes while wrong codes go "
                      "uncounted, so a caller with this limit guesses for free (runs %s)" % (
                          lim, ",".join(str(h[0]) for h in hits),
                          "".join(", %s=%s" % kv for kv in rest),
                          ", reusing a pending code" if prime else "",
                          ", ".join("%d/%d" % (h[1], h[2]) for h in hits)))
            print("%s: %d violation(s): %s" % (
                self.a.mode, len(self.violations),
                ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for opt in ("shim", "module", "tool", "svc", "passwd", "group", "conf", "phones",
                "state-dir", "gw-log", "dir", "root"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--pids", help="append each pamtester's pid here (lib.sh cleanup)")
    ap.add_argument("--mode", choices=("faults", "limits"), required=True)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--max-k", type=int, default=400)
    ap.add_argument("--deadline", type=float, required=True,
                    help="seconds since the epoch: no login starts after it")
    ap.add_argument("--verbose", action="store_true", help="a line for every login")
    ap.add_argument("--errno", action="append", default=[],
                    help="CLASS=ERRNO: fail that class with another errno (EACCES...)")
    a = ap.parse_args()
    a.errno_for = dict(x.split("=", 1) for x in a.errno)
    s = Sweep(a)
    status = 0
    try:
        if a.mode == "faults":
            s.sweep_faults()
        else:
            s.sweep_limits()
        s.recheck_late_sms()
    except Setup as e:
        print("SETUP: %s" % e)
        status = 2
    s.summary()
    if s.violations:
        status = max(status, 1)
    sys.exit(status)


if __name__ == "__main__":
    main()

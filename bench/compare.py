#!/usr/bin/env python3
"""Compare natter with InspIRCd, ngIRCd and ircd-hybrid under `natter bench`.

Usage (as root, from anywhere in the repository):

    python3 bench/compare.py --quick           # tiny sizes, 1 round: try it out
    python3 bench/compare.py                   # the full comparison, 3 rounds
    python3 bench/compare.py --report-only bench/results/20261122-101500

What it does:

1. Installs the three servers from Debian if missing (`apt-get install
   inspircd ngircd ircd-hybrid`). Debian's ngircd and ircd-hybrid packages
   conflict with each other, so whichever cannot be installed next to the
   others is downloaded (`apt-get download`) and unpacked under
   /var/cache/natter-bench/<package>/root, with its library dependencies
   installed by apt. The packages' system services are stopped, and the
   script refuses to run while any process of those daemons that it did not
   start is alive (it never kills what it did not start).
2. Builds natter in release (`cargo build --release -p natter`) unless
   --no-build.
3. Writes a benchmark-fair configuration for every server into a temporary
   directory (loopback port only, no per-IP limits, no flood, penalty or
   throttle limits where the server allows it, large SendQ, no DNS or ident
   lookups) and checks that each one starts and accepts a registration.
   Servers run as an unprivileged user (--run-as, default nobody when root).
4. Runs the scenarios in rounds, interleaved (round 1: natter, inspircd,
   ngircd, hybrid; round 2: the same ...). Every `natter bench` run gets a
   freshly started server, which is stopped by PID afterwards, and
   `--server-pid` so the server's CPU time and RSS are measured. Every JSON
   result is kept under the results directory (default
   bench/results/<timestamp>/, with index.json listing every run).
5. Scenarios: connect (19,000 idle clients: the per-process fd limit here is
   20,000, `ulimit -n`), fan-out into one channel of 200 and of 1,000
   members with 4 senders over a sweep of offered rates (a server's sweep
   stops at the first rate with p99 > 50 ms, any loss or any error; the
   result is the highest offered rate sustained), rooms (500 channels x 10
   members plus private messages) and churn.
6. Writes docs/performance.md (with --quick: performance.md in the results
   directory, unless --doc says otherwise): the machine, the servers'
   versions, the settings, the exact commands, per-scenario tables with
   medians and min..max across rounds and ratios against natter, and a
   "Profile of the fan-out path" section (kept as it is if the file already
   has one with content).

Registrations in flight are kept below each server's listen backlog (read
with `ss` after start-up; ngIRCd's is hard-coded to 10, natter's is 4096):
beyond it the kernel drops connection attempts and the clients wait for
SYN retransmission timers, which would measure TCP, not the server.

Python 3.9+ standard library only. Loopback addresses only.
"""

import argparse
import datetime
import json
import os
import pwd
import resource
import shlex
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from comparison.common import (
    PACKAGES, REPO, SCENARIOS, SERVERS, STUB_DNS, TLS_SCENARIOS, TLS_SERVERS, TRANSPORTS, die,
    log,
)
from comparison.install import (
    build, gnutls_version, install, make_certificate, pkg_root, rustls_version, versions,
)
from comparison.machine import machine_info
from comparison.report import report
from comparison.runs import Runner, describe
from comparison.servers import Server, StubDNS
from comparison.tls_report import tls_report


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (head -60 bench/compare.py) for what it does.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--tls", action="store_true",
                   help="the TLS comparison instead: natter and InspIRCd (ssl_gnutls), fan-out "
                        "and handshakes over TLS and over plain TCP as the baseline, written as "
                        "the \"Over TLS\" section of the report (the rest of it is kept)")
    p.add_argument("--tls-transports", default="tls,plain,ws,wss",
                   help="with --tls: the transports, in the order each round runs them: tls, "
                        "plain, ws and wss (IRC over WebSocket, over HTTP and HTTPS: natter only)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and 1 round (unless --rounds), to try the script")
    p.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset, in order")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    p.add_argument("--no-build", action="store_true", help="use the existing release binary")
    p.add_argument("--no-install", action="store_true", help="never run apt-get")
    p.add_argument("--results", type=Path, help="results directory (default bench/results/<timestamp>)")
    p.add_argument("--doc", type=Path,
                   help="report to write (default docs/performance.md; with --quick "
                        "<results>/performance.md)")
    p.add_argument("--report-only", type=Path, metavar="RESULTS",
                   help="only rewrite the report from an earlier results directory")
    p.add_argument("--run-as", default="nobody", help="user the servers run as when started by root")
    p.add_argument("--port-base", type=int, default=17100, help="first port tried (below 32768)")
    p.add_argument("--sendq", type=int, default=16 * 1024 * 1024, help="SendQ bytes per client")
    p.add_argument("--natter-threads", type=int, default=1,
                   help="natter's server.threads (0: one event loop per core)")
    p.add_argument("--natter-history", choices=("on", "off"), default="on",
                   help="natter's message history (on by default; off measures the chat "
                        "core alone, as the other servers keep no history)")
    p.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    p.add_argument("--bench-timeout", type=int, default=900, help="seconds before a bench run is killed")
    g = p.add_argument_group("connect")
    g.add_argument("--connect-clients", type=int)
    g.add_argument("--connect-concurrency", type=int,
                   help="registrations in flight (capped at 80%% of the listen backlog)")
    g.add_argument("--connect-ping-sample", type=int)
    g.add_argument("--connect-idle", type=int)
    g = p.add_argument_group("fan-out")
    g.add_argument("--fanout-members", type=int_list, help="channel sizes, e.g. 200,1000")
    g.add_argument("--fanout-senders", type=int)
    g.add_argument("--fanout-rates", type=int_list, help="offered msgs/s, ascending")
    g.add_argument("--fanout-duration", type=int)
    g.add_argument("--fanout-size", type=int, help="padding bytes per message")
    g.add_argument("--p99-ms", type=float, default=50.0, help="sweep limit for p99 latency")
    g = p.add_argument_group("rooms")
    g.add_argument("--rooms-channels", type=int)
    g.add_argument("--rooms-members", type=int)
    g.add_argument("--rooms-rate", type=int)
    g.add_argument("--rooms-private-rate", type=int)
    g.add_argument("--rooms-duration", type=int)
    g = p.add_argument_group("churn")
    g.add_argument("--churn-workers", type=int, help="(capped at 80%% of the listen backlog)")
    g.add_argument("--churn-duration", type=int)
    g = p.add_argument_group("handshakes (--tls)")
    g.add_argument("--handshake-concurrency", type=int,
                   help="connections in flight (capped at 80%% of the listen backlog)")
    g.add_argument("--handshake-duration", type=int)
    g.add_argument("--handshake-groups", default="default,X25519",
                   help="key exchange groups the generator offers, one handshake run each: "
                        "`default` (rustls's list, X25519MLKEM768 first) or one group's name")
    g.add_argument("--handshake-register", action="store_true",
                   help="register to 001 on every connection (InspIRCd registers in a "
                        "once-a-second pass: this measures that, not TLS)")
    p.add_argument("--setup-concurrency", type=int,
                   help="registrations in flight while fan-out and rooms set up (capped at "
                        "80%% of the listen backlog)")
    a = p.parse_args()
    full = dict(rounds=3, connect_clients=19000, connect_concurrency=100, connect_ping_sample=100,
                connect_idle=2, fanout_members=[200, 1000], fanout_senders=4,
                fanout_rates=[50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 40000, 80000],
                fanout_duration=10, fanout_size=64, rooms_channels=500, rooms_members=10,
                rooms_rate=2000, rooms_private_rate=500, rooms_duration=10,
                churn_workers=8, churn_duration=10, setup_concurrency=500,
                handshake_concurrency=16, handshake_duration=10)
    quick = dict(rounds=1, connect_clients=300, connect_concurrency=100, connect_ping_sample=20,
                 connect_idle=1, fanout_members=[20, 50], fanout_senders=4,
                 fanout_rates=[200, 1000, 5000], fanout_duration=2, fanout_size=64,
                 rooms_channels=20, rooms_members=5, rooms_rate=200, rooms_private_rate=50,
                 rooms_duration=2, churn_workers=4, churn_duration=2, setup_concurrency=100,
                 handshake_concurrency=8, handshake_duration=2)
    if a.tls:
        # One channel of 200; the sweep starts where every server passed
        # in plain text.
        full.update(fanout_members=[200], fanout_rates=[1000, 2000, 5000, 10000, 20000, 40000],
                    handshake_concurrency=16, handshake_duration=10)
        quick.update(fanout_members=[20], handshake_concurrency=8, handshake_duration=2)
        if a.servers == ",".join(SERVERS):
            a.servers = ",".join(TLS_SERVERS)
        if a.scenarios == ",".join(SCENARIOS):
            a.scenarios = ",".join(TLS_SCENARIOS)
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k, None) is None:
            setattr(a, k, v)
    a.servers = [s for s in a.servers.split(",") if s]
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    a.tls_transports = [t for t in a.tls_transports.split(",") if t]
    a.handshake_groups = [g for g in a.handshake_groups.split(",") if g]
    for s in a.servers:
        if s not in (TLS_SERVERS if a.tls else SERVERS):
            p.error(f"unknown server {s}" + (" (--tls: natter, inspircd)" if a.tls else ""))
    for s in a.scenarios:
        if s not in (TLS_SCENARIOS if a.tls else SCENARIOS):
            p.error(f"unknown scenario {s}" + (" (--tls: fanout, handshakes)" if a.tls else ""))
    for t in a.tls_transports:
        if t not in TRANSPORTS:
            p.error(f"unknown transport {t} ({', '.join(TRANSPORTS)})")
    a.fanout_rates = sorted(a.fanout_rates)
    return a


def main():
    a = parse_args()
    if a.report_only:
        doc = a.doc or (REPO / "docs/performance.md")
        meta = json.loads((a.report_only / "meta.json").read_text())
        if a.doc is None and meta["args"].get("quick"):
            doc = a.report_only / "performance.md"
        (tls_report if meta["args"].get("tls") else report)(a.report_only, doc)
        return 0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if not a.tls and a.connect_clients > soft - 200:
        log(f"warning: {a.connect_clients} clients need more than the fd limit ({soft}) allows; "
            f"using {soft - 1000}")
        a.connect_clients = soft - 1000

    install(a.servers, not a.no_install)
    natter_bin = build(a.no_build)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results = (a.results or REPO / "bench" / "results" / stamp).resolve()
    results.mkdir(parents=True, exist_ok=True)
    doc = a.doc or (results / "performance.md" if a.quick else REPO / "docs/performance.md")

    if os.geteuid() == 0:
        pw = pwd.getpwnam(a.run_as)
        uid, gid = pw.pw_uid, pw.pw_gid
    else:
        uid, gid = os.getuid(), os.getgid()
    tmp = Path(tempfile.mkdtemp(prefix="natter-compare-"))
    os.chmod(tmp, 0o755)
    settings = {
        "natter_bin": natter_bin, "sendq": a.sendq, "natter_threads": a.natter_threads,
        "natter_history": a.natter_history == "on", "fdlimit": soft, "uid": uid, "gid": gid,
        "tmp": tmp, "results": results, "started": {},
        "roots": {s: pkg_root(s) for s in PACKAGES if s in a.servers},
    }
    if a.tls:
        settings["tls"] = make_certificate(tmp, uid, gid)
    hybrid_note = None
    stub = None
    if "hybrid" in a.servers:
        if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("setpriv"):
            try:
                stub = StubDNS(STUB_DNS)
                stub.start()
                resolv = tmp / "resolv.conf"
                resolv.write_text(f"nameserver {STUB_DNS[0]}\n")
                os.chmod(resolv, 0o644)
                settings["resolv"] = resolv
            except OSError as e:
                hybrid_note = (f"the stub resolver could not listen on {STUB_DNS}: {e}; hybrid "
                               "used the machine's resolver")
        else:
            hybrid_note = ("not root or no unshare/setpriv: hybrid used the machine's resolver "
                           "for its reverse DNS lookups")
        if hybrid_note:
            log("warning: " + hybrid_note)

    meta = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(x) for x in [sys.executable, *sys.argv]),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
        "machine": machine_info(),
        "versions": versions(settings),
        "run_as": pwd.getpwuid(uid).pw_name,
        "hybrid_note": hybrid_note,
        "load_at_start": Path("/proc/loadavg").read_text().strip(),
    }
    if a.tls:
        meta["tls"] = {"certificate": settings["tls"]["describe"],
                       "command": settings["tls"]["command"],
                       "gnutls": gnutls_version(), "rustls": rustls_version()}
    (results / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"results in {results}")

    runner = Runner(a, settings)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    interrupted = False
    try:
        # Each server must start and accept a registration before anything runs.
        for name in a.servers:
            srv = Server(name, settings, runner.ports)
            err = srv.start()
            if err:
                die(f"{name} does not start with its benchmark configuration: {err}")
            log(f"{name} starts and registers a client (pid {srv.proc.pid}, port {srv.port}, "
                f"listen backlog {srv.backlog})")
            srv.stop()
        for rnd in range(1, a.rounds + 1):
            runner.round(rnd)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted")
    finally:
        for pid, srv in list(settings["started"].items()):
            srv.stop()
            log(f"stopped {srv.name} (pid {pid})")
        if stub:
            stub.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    meta["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    meta["load_at_end"] = Path("/proc/loadavg").read_text().strip()
    meta["interrupted"] = interrupted
    if stub:
        meta["stub_dns_answers"] = stub.answered
    (results / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    (tls_report if a.tls else report)(results, doc)

    problems = [e for e in runner.index if e.get("error") or
                (e.get("result") and (e["result"].get("errors") or
                                      (e["scenario"] != "fanout" and e["result"].get("lost"))))]
    if problems:
        log("runs with problems (errors, loss outside a sweep's last step, failures):")
        for e in problems:
            log("  " + describe(e))
    else:
        log("no errors; every delivery outside the sweeps' stopping steps was counted")
    return 1 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())

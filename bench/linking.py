#!/usr/bin/env python3
"""Figures for linked natter servers (issue 10, docs/linking.md), measured
with `natter bench` on loopback.

Usage (from anywhere in the repository):

    python3 bench/linking.py --quick     # tiny sizes, ~2 minutes: try it out
    python3 bench/linking.py             # the figures: ~8 minutes

What it does:

1. Builds natter in release (`cargo build --release -p natter`) unless
   --no-build or --natter PATH.
2. Makes the argon2 hashes of a link password and an operator password with
   `natter passwd`, and writes one configuration per server (loopback
   listeners on ephemeral ports, IM off, one event loop per server, an
   [[oper]] block, [[link]] blocks).
3. Starts a network per figure, waits until every server lists every
   server in LINKS, runs `natter bench` against it, and stops it:
   - burst: server A with N users in C channels (the bench makes them), and
     server B, whose operator CONNECTs to A; the time from the link being
     up until B's LUSERS shows every user and channel (several rounds: the
     bench SQUITs after each); first the same with one user, which is what
     the handshake alone costs;
   - rejoin: a chain of 5 (s1 - s2 - s3 - s4 - s5, each connecting to the
     one before, with autoconnect) and a star (a hub and 4 leaves, the
     leaves connecting), with --rejoin-users users, and the chain again
     with --users users: an operator SQUITs a link, autoconnect brings it
     back, and the time from the link being up again until every server's
     LUSERS and LINKS agree;
   - hops: on the chain, private messages at 200/s from s1 to s2 (1 hop)
     and to s5 (4 hops); latency p50/p99;
   - fanout: one channel of 1,000 members (4 senders) on one server, and
     the same channel with its members spread over a chain of 3 servers,
     at several offered rates; deliveries/s and latency.
   - network (only with --only network; issue 15): 90,000 registered
     clients on a star of 5 servers (a hub and 4 leaves), spread over
     them by `natter bench connect --procs` (each process, the servers
     and the bench workers, under its open-files limit), every one
     answering PING; then, with all of them still held, a channel of
     5,000 of them (1,000 on each server) fanning out at several rates;
     RSS per client summed over the servers, deliveries/s, p99, loss.
4. Prints every figure with the exact command, and keeps every JSON result,
   the configurations, the servers' logs and the machine's load before and
   after each run under bench/results/linking-<timestamp>/ (git ignores it).

Every process it starts (servers and benches) is stopped by its PID, on
success, on failure and on Ctrl-C. Loopback only. Python 3.9+ standard
library only.
"""

import argparse
import datetime
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINK_PASSWORD = "link-bench-secret"
OPER = ("bench", "bench-oper-secret")
DOMAIN = "link.bench"

# Every process this script started and has not stopped yet, by PID.
STARTED = {}


def log(msg):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def stop_all():
    """Stops every process this script started (SIGTERM by PID, then
    SIGKILL by PID after 20 s)."""
    for pid, proc in list(STARTED.items()):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for pid, proc in list(STARTED.items()):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log(f"pid {pid} ignored SIGTERM; SIGKILL")
            proc.kill()
            proc.wait()
        STARTED.pop(pid, None)


def on_signal(signum, _frame):
    log(f"signal {signum}: stopping what was started")
    stop_all()
    sys.exit(1)


def passwd(natter, password):
    out = subprocess.run([natter, "passwd"], input=password + "\n", capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def machine_load():
    """The load average and the busiest processes right now."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    ps = subprocess.run(["ps", "-eo", "pid,pcpu,etime,comm", "--sort=-pcpu"],
                        capture_output=True, text=True).stdout.splitlines()[1:6]
    return {"loadavg": " ".join(load), "top": [" ".join(l.split()) for l in ps]}


class Server:
    """One `natter serve` with its own directory, configuration and log."""

    def __init__(self, net, name, links):
        self.net, self.name = net, f"{name}.{DOMAIN}"
        self.dir = net.dir / name
        (self.dir / "data").mkdir(parents=True)
        # [(peer short name, peer Server to connect to or None, autoconnect)]
        self.links = links
        self.proc = None
        self.irc = self.link = None

    def config(self):
        s = self.net.settings
        lines = [
            "[server]",
            f'name = "{self.name}"',
            f'description = "natter linking bench {self.name}"',
            f'data_dir = "{self.dir / "data"}"',
            "threads = 1",
            "",
            "[listen]",
            'irc = ["127.0.0.1:0"]',
            "im = []",
            'link = ["127.0.0.1:0"]',
            # Several servers on one machine: the listeners that default
            # to fixed ports are off.
            "irc_tls = []",
            "http = []",
            "metrics = []",
            "",
            "[limits]",
            "sendq = 16777216",
            "",
            # The benchmark's clients connect from loopback and send as
            # fast as they can: exempt from flood control and the
            # per-address connection limits.
            "[connections]",
            'exempt = ["127.0.0.0/8"]',
            "",
            "[[class]]",
            'name = "bench"',
            'hosts = ["127.0.0.0/8"]',
            "exempt = true",
            "",
            "[[oper]]",
            f'name = "{OPER[0]}"',
            f'password = "{s["oper_hash"]}"',
            'host = "*@127.0.0.1"',
        ]
        for peer, server, auto in self.links:
            lines += ["", "[[link]]", f'name = "{peer}.{DOMAIN}"',
                      f'send_password = "{LINK_PASSWORD}"',
                      f'receive_password = "{s["link_hash"]}"']
            if server is not None:
                lines += [f'address = "{server.link}"',
                          f'autoconnect = {"true" if auto else "false"}']
        return "\n".join(lines) + "\n"

    def start(self):
        path = self.dir / "natter.toml"
        path.write_text(self.config())
        out = open(self.dir / "stdout.txt", "wb")
        err = open(self.dir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [self.net.settings["natter"], "serve", "--config", str(path)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=self.dir,
            env={**os.environ, "NATTER_LOG": self.net.settings.get("log", "warn")})
        STARTED[self.proc.pid] = self.proc
        deadline = time.time() + 30
        while time.time() < deadline:
            text = (self.dir / "stdout.txt").read_text()
            for line in text.splitlines():
                if line.startswith("natter: IRC listening on "):
                    self.irc = line.split()[-1]
                if line.startswith("natter: link listening on "):
                    self.link = line.split()[-1]
            if self.irc and self.link:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start: "
                           f"{(self.dir / 'server.log').read_text()[-2000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            STARTED.pop(self.proc.pid, None)


PROBES = [0]


def irc_links(addr, timeout=5):
    """The server names LINKS lists on `addr` (one registration)."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as c:
        c.settimeout(timeout)
        # A nick no other probe ever had: two probes with one nick on two
        # servers at once would be a nick collision.
        PROBES[0] += 1
        nick = f"probe{os.getpid() % 100000}x{PROBES[0]}"
        c.sendall(f"NICK {nick}\r\nUSER probe 0 * :probe\r\nLINKS\r\n".encode())
        buf, names = b"", []
        while True:
            data = c.recv(65536)
            if not data:
                raise OSError("closed")
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                words = line.decode(errors="replace").split()
                if words[:1] == ["PING"]:
                    c.sendall(f"PONG {' '.join(words[1:])}\r\n".encode())
                if len(words) > 3 and words[1] == "364":
                    names.append(words[3])
                if len(words) > 1 and words[1] == "365":
                    c.sendall(b"QUIT\r\n")
                    return sorted(names)


class Network:
    """Servers started one after another (each connects to ones before)."""

    def __init__(self, settings, label, shape):
        self.settings, self.label = settings, label
        self.dir = settings["results"] / label
        self.servers = {}
        # shape: [(short name, [(peer, how)])], in start order; how is
        # "auto" (connect with autoconnect), "manual" (know the address, for
        # CONNECT) or "accept" (wait for the peer).
        for name, peers in shape:
            links = [(p, self.servers[p] if how != "accept" else None, how == "auto")
                     for p, how in peers]
            self.servers[name] = Server(self, name, links)

    def start(self, linked=True):
        for s in self.servers.values():
            s.start()
        if linked:
            self.wait_linked()
        return self

    def wait_linked(self, timeout=60):
        want = sorted(s.name for s in self.servers.values())
        deadline = time.time() + timeout
        for s in self.servers.values():
            while True:
                try:
                    if irc_links(s.irc) == want:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"{self.label}: {s.name} never saw the whole network")
                time.sleep(0.1)

    def stop(self):
        for s in self.servers.values():
            s.stop()

    def __getitem__(self, name):
        return self.servers[name]

    def pids(self, names=None):
        out = []
        for n, s in self.servers.items():
            if names is None or n in names:
                out += ["--server-pid", str(s.proc.pid)]
        return out


def chain(n, prefix="s"):
    names = [f"{prefix}{i}" for i in range(1, n + 1)]
    shape = []
    for i, name in enumerate(names):
        peers = []
        if i > 0:
            peers.append((names[i - 1], "auto"))
        if i + 1 < n:
            peers.append((names[i + 1], "accept"))
        shape.append((name, peers))
    return shape


def star(leaves):
    names = [f"leaf{i}" for i in range(1, leaves + 1)]
    return [("hub", [(n, "accept") for n in names])] + [(n, [("hub", "auto")]) for n in names]


RUNS = []


def bench(settings, name, args, timeout):
    """Runs `natter bench <args> --json <file>`; returns the JSON report."""
    json_path = settings["results"] / f"{len(RUNS) + 1:02d}-{name}.json"
    argv = [settings["natter"], "bench", *args, "--json", str(json_path)]
    shown = " ".join(shlex.quote(a) for a in argv)
    log(f"$ {shown}")
    before = machine_load()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    STARTED[proc.pid] = proc
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out += f"\n(killed after {timeout} s)"
    STARTED.pop(proc.pid, None)
    after = machine_load()
    print(out, end="", flush=True)
    report = json.loads(json_path.read_text()) if json_path.exists() else None
    RUNS.append({"name": name, "command": shown, "rc": proc.returncode, "output": out,
                 "json": json_path.name, "report": report,
                 "load_before": before, "load_after": after})
    if proc.returncode != 0 or report is None:
        log(f"{name}: natter bench failed (exit {proc.returncode})")
    return report


def network(settings, a):
    """The network figure: clients held on 5 servers, a fan-out beside."""
    net = Network(settings, "network", star(4)).start()
    addrs = []
    for s in net.servers.values():
        addrs += ["--addr", s.irc]
    held = a.network_clients - a.network_members
    procs = -(-held // a.network_per_process)
    json_path = settings["results"] / f"{len(RUNS) + 1:02d}-network-connect.json"
    argv = [settings["natter"], "bench", "connect", *addrs, *net.pids(),
            "--clients", str(held), "--ping-sample", str(held), "--procs", str(procs),
            "--concurrency", "500", "--idle", str(a.network_idle), "--hold", "--prefix", "n",
            "--label", "network", "--json", str(json_path)]
    shown = " ".join(shlex.quote(x) for x in argv)
    log(f"$ {shown}")
    # Its entry first, so the fan-outs beside it number after it.
    entry = {"name": "network-connect", "command": shown, "json": json_path.name,
             "load_before": machine_load()}
    RUNS.append(entry)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    STARTED[proc.pid] = proc
    # Up to the "holding" line; what comes before it (warnings) is kept
    # with the output.
    first = ""
    while True:
        line = proc.stdout.readline()
        first += line
        if not line or line.startswith("natter bench: holding"):
            break
        log(f"connect said: {line.rstrip()}")
    figures = []
    if line.startswith("natter bench: holding"):
        log(line.strip())
        rss = {n: rss_kib(s.proc.pid) for n, s in net.servers.items()}
        log(f"servers' RSS with the clients held, KiB: {rss}")
        for rate in [int(x) for x in a.network_rates.split(",")]:
            label = f"network-fanout-r{rate}"
            r = bench(settings, label, [
                "fanout", *addrs, *net.pids(), "--members", str(a.network_members),
                "--senders", "4", "--rate", str(rate), "--duration", str(a.fanout_duration),
                "--prefix", f"f{rate}x", "--label", "network"], timeout=900)
            figures.append((label, r))
    else:
        log("network: the connect run never said it held its clients; no fan-out ran")
    try:
        # communicate closes its standard input: the clients are let go.
        rest, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    STARTED.pop(proc.pid, None)
    out = first + rest
    print(out, end="", flush=True)
    report = json.loads(json_path.read_text()) if json_path.exists() else None
    entry.update({"rc": proc.returncode, "output": out, "report": report,
                  "load_after": machine_load()})
    net.stop()
    return [("network-connect", report)] + figures


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to try the script out")
    ap.add_argument("--natter", help="the natter binary (default: build target/release/natter)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--results", help="results directory (default bench/results/linking-<time>)")
    ap.add_argument("--only", default="burst,rejoin,hops,fanout",
                    help="comma-separated figures to measure")
    ap.add_argument("--users", type=int, default=10_000, help="burst: users on server A")
    ap.add_argument("--channels", type=int, default=1_000, help="burst: channels")
    ap.add_argument("--rounds", type=int, default=5, help="burst and rejoin rounds")
    ap.add_argument("--rejoin-users", type=int, default=1_000)
    ap.add_argument("--rejoin-channels", type=int, default=100)
    ap.add_argument("--hops-count", type=int, default=6_000, help="messages at 200/s per run")
    ap.add_argument("--repeat", type=int, default=2, help="hops runs per path")
    ap.add_argument("--fanout-members", type=int, default=1_000)
    ap.add_argument("--fanout-rates", default="200,500,1000,2000")
    ap.add_argument("--fanout-duration", type=int, default=10)
    ap.add_argument("--network-clients", type=int, default=90_000,
                    help="network: registered clients in all (the channel's members included)")
    ap.add_argument("--network-members", type=int, default=5_000,
                    help="network: members of the channel that fans out")
    ap.add_argument("--network-rates", default="20,50,100,200",
                    help="network: offered msgs/s of the fan-out, one run each")
    ap.add_argument("--network-idle", type=int, default=15,
                    help="network: seconds between the last registration and the RSS reading, "
                         "so that every server has every user (the links carry them after "
                         "their own clients registered)")
    ap.add_argument("--network-per-process", type=int, default=18_000,
                    help="network: clients per bench process (below its open-files limit)")
    a = ap.parse_args()
    if a.quick:
        a.users, a.channels, a.rounds = 300, 30, 2
        a.rejoin_users, a.rejoin_channels = 100, 10
        a.hops_count, a.repeat = 200, 1
        a.fanout_members, a.fanout_rates, a.fanout_duration = 60, "100,200", 2
        a.network_clients, a.network_members, a.network_rates = 2_000, 200, "20,50"
        a.network_idle = 2
    natter = str(Path(a.natter).resolve()) if a.natter else str(REPO / "target/release/natter")
    if not a.natter and not a.no_build:
        log("building natter (release)")
        subprocess.run(["cargo", "build", "--release", "-p", "natter"], cwd=REPO, check=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    # Absolute: the servers are started with paths into it from their own
    # directories.
    results = Path(a.results).resolve() if a.results else REPO / "bench/results" / f"linking-{stamp}"
    results.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    settings = {"natter": natter, "results": results,
                "link_hash": passwd(natter, LINK_PASSWORD), "oper_hash": passwd(natter, OPER[1])}
    oper = f"{OPER[0]}:{OPER[1]}"
    only = set(a.only.split(","))
    figures = []
    log(f"results in {results}; machine: {machine_load()}")
    try:
        if "burst" in only:
            # B knows A's address but does not autoconnect: the bench CONNECTs.
            net = Network(settings, "burst", [("a", [("b", "accept")]), ("b", [("a", "manual")])])
            net.start(linked=False)
            # The handshake alone first (one user): what CONNECT to link up
            # costs without a burst (two argon2 password checks).
            for label, users, channels in [("burst-handshake", 1, 1),
                                           ("burst", a.users, a.channels)]:
                r = bench(settings, label, [
                    "burst", "--addr", net["a"].irc, "--observe", net["b"].irc, "--oper", oper,
                    "--users", str(users), "--channels", str(channels),
                    "--rounds", str(a.rounds), "--label", "a+b", "--prefix", label[-1],
                    *net.pids()], timeout=900)
                figures.append((label, r))
            net.stop()
        if "rejoin" in only:
            for label, shape, first, squit, users, channels in [
                ("rejoin-chain", chain(5), "s2", "s3", a.rejoin_users, a.rejoin_channels),
                ("rejoin-star", star(4), "hub", "leaf1", a.rejoin_users, a.rejoin_channels),
                ("rejoin-chain-big", chain(5), "s2", "s3", a.users, a.channels),
            ]:
                net = Network(settings, label, shape).start()
                addrs = [net[first].irc] + [s.irc for n, s in net.servers.items() if n != first]
                args = ["rejoin", "--oper", oper, "--squit", f"{squit}.{DOMAIN}",
                        "--users", str(users), "--channels", str(channels),
                        "--rounds", str(min(a.rounds, 4)), "--label", label, *net.pids()]
                for addr in addrs:
                    args += ["--addr", addr]
                figures.append((label, bench(settings, label, args, timeout=900)))
                net.stop()
        if "hops" in only:
            net = Network(settings, "hops-chain", chain(5)).start()
            for rep in range(a.repeat):
                for to, hops in [("s2", 1), ("s5", 4)]:
                    label = f"hops-{hops}"
                    r = bench(settings, label, [
                        "hops", "--from", net["s1"].irc, "--to", net[to].irc, "--rate", "200",
                        "--count", str(a.hops_count), "--label", f"s1-{to}",
                        "--prefix", f"h{rep}{hops}", *net.pids()], timeout=900)
                    figures.append((label, r))
            net.stop()
        if "fanout" in only:
            for rate in [int(x) for x in a.fanout_rates.split(",")]:
                for label, shape in [("fanout-1", chain(1, "f")), ("fanout-3", chain(3, "t"))]:
                    net = Network(settings, f"{label}-r{rate}", shape).start()
                    args = ["fanout", "--members", str(a.fanout_members), "--senders", "4",
                            "--rate", str(rate), "--duration", str(a.fanout_duration),
                            "--label", label, *net.pids()]
                    for s in net.servers.values():
                        args += ["--addr", s.irc]
                    figures.append((label, bench(settings, f"{label}-r{rate}", args,
                                                 timeout=900)))
                    net.stop()
        if "network" in only:
            figures += network(settings, a)
    finally:
        stop_all()
        (results / "index.json").write_text(json.dumps(RUNS, indent=2) + "\n")
    print()
    print("Figures (every command and its full output are in "
          f"{results / 'index.json'}):")
    failed = False
    for name, r in figures:
        if r is None:
            print(f"  {name}: FAILED")
            failed = True
        elif name.startswith("burst") or name.startswith("rejoin"):
            def ms(key):
                return ", ".join(f"{x:.1f}" for x in r[key])
            command = "CONNECT" if name.startswith("burst") else "SQUIT"
            print(f"  {name}: {r['network_servers']} servers, {r['network_users']} users, "
                  f"{r['network_channels']} channels; link up -> converged {ms('converged_ms')} ms "
                  f"(median {r['converged_p50_ms']:.1f}, max {r['converged_max_ms']:.1f}); "
                  f"{command} -> link up {ms('link_up_ms')} ms; "
                  f"{command} -> converged {ms('total_ms')} ms")
        elif name == "network-connect":
            print(f"  {name}: {r['registered']} clients registered on {r['params'].get('procs', 1)} "
                  f"bench processes, {r['ping_ok']}/{r['ping_sampled']} answered PING, "
                  f"{r.get('held_to_end')} still registered after the fan-outs, "
                  f"{r['registered'] / r['seconds']:.0f} registrations/s, "
                  f"{r['rss_per_client_kib']:.2f} KiB of server RSS per client, "
                  f"{r['errors']} errors")
        elif name.startswith("hops"):
            print(f"  {name} ({r['params'].get('hops')} hops, {r['params']['rate']}/s): "
                  f"p50 {r['latency_p50_ms']:.2f} ms, p99 {r['latency_p99_ms']:.2f} ms, "
                  f"max {r['latency_max_ms']:.2f} ms, {r['lost']} lost of {r['messages_sent']}")
        else:
            print(f"  {name} ({r['params']['members']} members, {r['params']['rate']} msgs/s): "
                  f"{r['deliveries_per_second']:.0f} deliveries/s, "
                  f"p50 {r['latency_p50_ms']:.2f} ms, p99 {r['latency_p99_ms']:.2f} ms, "
                  f"{r['lost']} lost")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

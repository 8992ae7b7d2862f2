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
import platform
import pwd
import re
import resource
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVERS = ["natter", "inspircd", "ngircd", "hybrid", "relay"]
# The floor (`natter bench relay`): a trivial relay, not a server. It runs
# the scenarios that only relay messages.
RELAY_SCENARIOS = ["fanout", "rooms"]
SCENARIOS = ["connect", "fanout", "rooms", "churn"]
# --tls: the servers with IRC over TLS here, and what runs over it.
TLS_SERVERS = ["natter", "inspircd"]
TLS_SCENARIOS = ["fanout", "handshakes"]
TLS_HEADING = "## Over TLS"
# --tls transports: how the generator connects, and to which port.
TRANSPORTS = ["tls", "plain", "ws", "wss"]
# IRC over WebSocket (IRCv3, text.ircv3.net): natter only. InspIRCd 3.15's
# websocket module speaks text.inspircd.org / binary.inspircd.org and
# wants an Origin header.
WS_SERVERS = ["natter"]
TLS_ANALYSIS = "### What the numbers mean"
CACHE = Path("/var/cache/natter-bench")
# Debian package and daemon path (relative to the install root) of each
# foreign server.
PACKAGES = {
    "inspircd": ("inspircd", "usr/sbin/inspircd"),
    "ngircd": ("ngircd", "usr/sbin/ngircd"),
    "hybrid": ("ircd-hybrid", "usr/sbin/ircd-hybrid"),
}
SERVICES = ["inspircd", "ngircd", "ircd-hybrid"]
# Where hybrid's resolver is pointed (see StubDNS).
STUB_DNS = ("127.0.0.153", 53)
MOTD = "natter bench comparison: one line of MOTD on every server.\n"

# What each configuration turns off and what it cannot; goes into the doc.
SETTINGS_NOTES = {
    "natter": {
        "off": [
            "listens on one loopback port only; the IM front end and the TLS, HTTP and metrics "
            "listeners (on by default) are off (`im = []`, `irc_tls = []`, `http = []`, "
            "`metrics = []`)",
            "`limits.sendq` = {sendq} bytes; `channels_per_user` 1000, `nicklen` 30, `max_targets` 20",
            "`server.threads` = {natter_threads} (event loops; the default is one per core): the "
            "load generator runs on the same two cores and needs one of them, and InspIRCd, "
            "ngIRCd and ircd-hybrid each run one event loop too (`--natter-threads` changes it)",
            "message history is {history} (on by default: each message to a channel or a "
            "user is also committed to SQLite by a writer thread; `--natter-history off` "
            "turns it off, as the other servers keep none)",
            "flood control (fakelag, RecvQ) and the per-address connection limits exempt "
            "the benchmark's address range, 127.0.0.0/8 (a `[[class]]` with `exempt = true` "
            "and `[connections] exempt`); the total connection limit stays; natter does no "
            "DNS or ident lookups, so there is nothing else to turn off",
        ],
        "cannot": [
            "nothing: it listens with a backlog of 4096 (capped by "
            "net.core.somaxconn); registrations in flight are kept below it",
        ],
    },
    "inspircd": {
        "off": [
            "`<bind address=\"127.0.0.1\">` only; no `<module>` is loaded, so no "
            "connflood, connectban, dnsbl or ident module (only core modules)",
            "`<connect allow=\"*\">`: `localmax`/`globalmax`/`limit` 1,000,000 (no "
            "per-IP or class cap), `threshold` 1,000,000 and `commandrate` "
            "1,000,000,000 (a million commands a second before any penalty "
            "matters), `fakelag=\"no\"`, `recvq`/`softsendq`/`hardsendq` = {sendq}, "
            "`maxchans` 1000, `resolvehostnames=\"no\"`, `useident=\"no\"`",
            "`<performance softlimit>` = the fd limit minus 10, `somaxconn` 4096, "
            "`netbuffersize` 65534 (its maximum), `clonesonconnect=\"no\"`",
        ],
        "cannot": [
            "InspIRCd 3 completes registrations only in its once-a-second "
            "background pass (UserManager::DoBackgroundUserStuff -> "
            "CheckModulesReady), so every registration waits up to 1 s; this "
            "bounds connect and churn rates by the number of registrations in flight",
            "command penalties are still counted (they just never reach the threshold)",
        ],
    },
    "ngircd": {
        "off": [
            "`Listen = 127.0.0.1`; `MaxConnections = 0` and `MaxConnectionsIP = 0` "
            "(unlimited), `MaxJoins = 0`, `MaxListSize = 0`, `MaxNickLength = 30`",
            "`MaxPenaltyTime = 0`: every penalty under 10 s is capped to 0 s",
            "`DefaultUserModes = F`: every client gets user mode +F (relaxed flood "
            "protection): no throttling for bytes or commands per second, 10 "
            "instead of 3 commands handled per connection per main-loop pass. "
            "(+F is normally oper-only; modes set through DefaultUserModes are "
            "applied as if by the server, so it works)",
            "`DNS = no`, `Ident = no`, `PAM = no` (Debian's build has PAM on by default)",
        ],
        "cannot": [
            "the per-pass command limit (10 commands per connection per main-loop "
            "pass even with +F, MAX_COMMANDS_SERVICE) is compiled in",
            "the SendQ is compiled in: 32 KiB per client (WRITEBUFFER_MAX_LEN), "
            "beyond which the client is dropped with \"Write buffer space "
            "exhausted\" (the kernel's socket buffer comes on top); likewise the "
            "2 KiB read buffer (READBUFFER_LEN)",
            "the listen backlog is compiled in as 10; the bench keeps at most 8 "
            "registrations in flight against it",
            "penalties of 10 s and more (brute-force protection, e.g. wrong "
            "passwords) are not capped by MaxPenaltyTime; nothing here triggers them",
        ],
    },
    "relay": {
        "off": [
            "not a server: `natter bench relay` (crates/natter/src/bench/relay.rs), one "
            "thread and one epoll set, answers NICK/USER with 001 and 422, JOIN with its echo "
            "and 366, PING with PONG, and writes each PRIVMSG to the channel's other members or "
            "the nick, every recipient's lines of one epoll round in one write. It is the floor: "
            "what any server spends per delivery above it is the cost of being a server",
        ],
        "cannot": [
            "it runs only the scenarios that just relay messages (fan-out and rooms)",
        ],
    },
    "hybrid": {
        "off": [
            "`listen {{ host = \"127.0.0.1\"; }}`; class: `number_per_ip_local`, "
            "`number_per_ip_global`, `max_number`, `number_per_cidr` 1,000,000 "
            "(/32 and /128), `sendq` = {sendq} bytes, `recvq` 8000 bytes (the "
            "maximum it accepts), `max_channels` 1000",
            "`auth {{ user = \"*@*\"; flags = exceed_limit, can_flood, ...; }}`: "
            "can_flood lifts the per-client command limit (MAX_FLOOD lines per "
            "second after a burst) and the channel and private-message flood checks",
            "`exempt {{ ip = \"127.0.0.0/8\"; }}` and `general {{ throttle_time = 0; "
            "throttle_count = 1000000; }}`: no connection throttling",
            "`general {{ default_floodcount = 0; anti_nick_flood = no; disable_auth = "
            "yes; ping_cookie = no; }}`, `channel {{ default_join_flood_count = 0; }}`, "
            "`serverinfo {{ default_max_clients = <fd limit - 100>; max_nick_length = 30; }}`, "
            "logging off",
        ],
        "cannot": [
            "the RecvQ cannot exceed 8000 bytes (CLIENT_FLOOD_MAX); with can_flood "
            "every complete line is parsed at once, so only a partial line waits there",
            "every client's reverse DNS lookup cannot be turned off. The script runs "
            "hybrid in a private mount namespace whose /etc/resolv.conf names a stub "
            "resolver inside this script ({stub}) that answers NXDOMAIN at once, so "
            "registrations do not depend on the machine's DNS (a resolver that "
            "drops bursts of queries made hybrid wait seconds per registration)",
        ],
    },
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(2)


def run(argv, check=True, quiet=False, **kw):
    if not quiet:
        log("$ " + " ".join(shlex.quote(str(a)) for a in argv))
    r = subprocess.run([str(a) for a in argv], text=True, capture_output=True, **kw)
    if check and r.returncode != 0:
        die(f"{argv[0]} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


# ---------------------------------------------------------------------------
# Installation


def pkg_root(name):
    """The install root of a foreign server: / when the package is installed,
    its unpacked copy under CACHE otherwise, or None."""
    pkg, rel = PACKAGES[name]
    if dpkg_installed(pkg) and Path("/", rel).exists():
        return Path("/")
    unpacked = CACHE / pkg / "root"
    if (unpacked / rel).exists():
        return unpacked
    return None


def dpkg_installed(pkg):
    r = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", pkg], text=True, capture_output=True
    )
    return r.returncode == 0 and "install ok installed" in r.stdout


def unpack_package(pkg):
    """apt-get download + dpkg-deb -x into CACHE/pkg/root, dependencies by apt."""
    d = CACHE / pkg
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    os.chmod(CACHE, 0o755)
    os.chmod(d, 0o755)
    run(["apt-get", "download", pkg], cwd=d)
    debs = sorted(d.glob(f"{pkg}_*.deb"))
    if not debs:
        die(f"apt-get download {pkg} left no .deb in {d}")
    deb = debs[-1]
    run(["dpkg-deb", "-x", deb, d / "root"])
    depends = run(["dpkg-deb", "-f", deb, "Depends"], quiet=True).stdout
    deps = []
    for part in depends.split(","):
        first = part.split("|")[0].strip()
        name = re.split(r"[\s(:]", first)[0]
        if name and not dpkg_installed(name):
            deps.append(name)
    if deps:
        run(
            ["apt-get", "install", "-y", "--no-remove", *deps],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    (d / "version").write_text(run(["dpkg-deb", "-f", deb, "Version"], quiet=True).stdout)
    for p in (d / "root").rglob("*"):
        if p.is_dir():
            os.chmod(p, 0o755)


def install(servers, allow_install):
    # The servers that come from Debian packages (not natter or its relay).
    foreign = [s for s in servers if s in PACKAGES]
    missing = [s for s in foreign if pkg_root(s) is None]
    if missing:
        if not allow_install:
            die(f"not installed: {', '.join(missing)} (and --no-install given)")
        if os.geteuid() != 0:
            die(f"not installed: {', '.join(missing)}; run as root to install them")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update"], env=env)
        pkgs = [PACKAGES[s][0] for s in missing]
        # --no-remove: ngircd and ircd-hybrid conflict; never let apt remove one
        # to install the other.
        r = run(["apt-get", "install", "-y", "--no-remove", *pkgs], check=False, env=env)
        if r.returncode != 0:
            log("apt-get could not install them together (Debian's ngircd conflicts "
                "with ircd-hybrid); trying one by one")
            for s in missing:
                pkg = PACKAGES[s][0]
                if pkg_root(s) is not None:
                    continue
                r = run(["apt-get", "install", "-y", "--no-remove", pkg], check=False, env=env)
                if r.returncode != 0 or pkg_root(s) is None:
                    log(f"{pkg} cannot be installed next to the others: unpacking it "
                        f"under {CACHE / pkg}")
                    unpack_package(pkg)
        for s in missing:
            if pkg_root(s) is None:
                die(f"{s}: still not installed")
    stop_services()
    for s in foreign:
        binary = pkg_root(s) / PACKAGES[s][1]
        r = run(["ldd", binary], check=False, quiet=True)
        if "not found" in r.stdout:
            die(f"{binary} is missing libraries:\n{r.stdout}")


def stop_services():
    systemd = Path("/run/systemd/system").is_dir()
    for svc in SERVICES:
        if systemd:
            if subprocess.run(["systemctl", "cat", svc], capture_output=True).returncode == 0:
                run(["systemctl", "stop", svc], check=False)
        elif Path("/etc/init.d", svc).exists():
            run([f"/etc/init.d/{svc}", "stop"], check=False)
    stray = foreign_daemons()
    if stray:
        die("these IRC daemons are running and were not started by this script; "
            "stop them first (it does not kill what it did not start):\n"
            + "\n".join(f"  pid {pid}: {cmd}" for pid, cmd in stray))


def daemon_paths():
    paths = set()
    for s, (pkg, rel) in PACKAGES.items():
        paths.add(str(Path("/", rel)))
        paths.add(str(CACHE / pkg / "root" / rel))
    return paths


def foreign_daemons(exclude=()):
    found = []
    paths = daemon_paths()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) in exclude:
            continue
        try:
            exe = os.readlink(p / "exe")
        except OSError:
            continue
        if exe.removesuffix(" (deleted)") in paths:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append((int(p.name), cmd.strip()))
    return found


def build(no_build):
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    binary = target / "release" / "natter"
    if not no_build:
        r = subprocess.run(["cargo", "build", "--release", "-p", "natter"], cwd=REPO)
        if r.returncode != 0:
            die("cargo build --release -p natter failed")
    if not binary.exists():
        die(f"{binary} does not exist (build it, or drop --no-build)")
    return binary


# ---------------------------------------------------------------------------
# Stub resolver for ircd-hybrid


class StubDNS(threading.Thread):
    """Answers every DNS query with NXDOMAIN, at once."""

    def __init__(self, addr):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(addr)
        self.sock.settimeout(0.5)
        self.stopping = False
        self.answered = 0

    def run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(data) < 12:
                continue
            (ident, flags, qd) = struct.unpack(">HHH", data[:6])
            # Copy the question section (QDCOUNT name/type/class entries).
            pos = 12
            try:
                for _ in range(qd):
                    while data[pos] != 0:
                        pos += 1 + data[pos]
                    pos += 5
            except IndexError:
                continue
            rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3  # QR, opcode+RD, RA, NXDOMAIN
            reply = struct.pack(">HHHHHH", ident, rflags, qd, 0, 0, 0) + data[12:pos]
            try:
                self.sock.sendto(reply, peer)
                self.answered += 1
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        self.sock.close()


# ---------------------------------------------------------------------------
# Configurations


def write_natter(d, port, s, tls_port=None):
    conf = d / "natter.toml"
    # natter's TLS, HTTP and metrics listeners are on by default on fixed
    # ports (6697, 8080, 9667): off here, or on a port of this run's own.
    irc_tls = f'["127.0.0.1:{tls_port}"]' if tls_port else "[]"
    tls_section = ""
    if tls_port:
        tls_section = f"""
[tls]
cert = "{s['tls']['cert']}"
key = "{s['tls']['key']}"
"""
    # Off only with --natter-history off, to measure the chat core alone.
    history = "" if s["natter_history"] else "\n[history]\nenabled = false\n"
    conf.write_text(f"""# natter, benchmark configuration (bench/compare.py)
[server]
name = "natter.bench.local"
threads = {s['natter_threads']}
data_dir = "{d / 'data'}"
motd_file = "{d / 'motd.txt'}"

[listen]
irc = ["127.0.0.1:{port}"]
im = []
irc_tls = {irc_tls}
http = []
metrics = []
{tls_section}
[limits]
nicklen = 30
channels_per_user = 1000
max_targets = 20
sendq = {s['sendq']}

[timeouts]
registration = 60
ping_interval = 120
ping_timeout = 60

# The benchmark's clients all connect from loopback and send as fast as
# they can: its address range is exempt from flood control and the
# per-address connection limits (the total limit stays).
[connections]
exempt = ["127.0.0.0/8"]

[[class]]
name = "bench"
hosts = ["127.0.0.0/8"]
exempt = true
{history}""")
    return [str(s["natter_bin"]), "serve", "--config", str(conf)], [conf]


def write_inspircd(d, port, s, tls_port=None):
    root = s["roots"]["inspircd"]
    conf = d / "inspircd.conf"
    tls = ""
    if tls_port:
        # outrecsize at TLS's largest record (GnuTLS's default is 2 KiB), as
        # netbuffersize is at its maximum; the same certificate as natter's.
        tls = f"""<module name="ssl_gnutls">
<sslprofile name="bench" provider="gnutls" certfile="{s['tls']['cert']}" keyfile="{s['tls']['key']}"
            dhfile="" hash="sha256" requestclientcert="no" outrecsize="16384">
<bind address="127.0.0.1" port="{tls_port}" type="clients" sslprofile="bench">
"""
    conf.write_text(f"""# InspIRCd, benchmark configuration (bench/compare.py)
<server name="inspircd.bench.local" description="natter bench comparison" network="BenchNet">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="{port}" type="clients">
<path configdir="{d}" datadir="{d}" logdir="{d}" runtimedir="{d}" moduledir="{root / 'usr/lib/inspircd/modules'}">
<connect name="bench" allow="*" timeout="60" pingfreq="120"
         localmax="1000000" globalmax="1000000" limit="1000000" maxconnwarn="no"
         threshold="1000000" commandrate="1000000000" fakelag="no"
         recvq="{s['sendq']}" softsendq="{s['sendq']}" hardsendq="{s['sendq']}"
         maxchans="1000" resolvehostnames="no" useident="no">
<channels users="1000" opers="1000">
<performance softlimit="{s['fdlimit'] - 10}" somaxconn="4096" netbuffersize="65534" clonesonconnect="no" quietbursts="yes">
<security maxtargets="20">
<files motd="{d / 'motd.txt'}">
<pid file="{d / 'inspircd.pid'}">
{tls}""")
    argv = [str(root / PACKAGES["inspircd"][1]), "--config", str(conf), "--nofork", "--nopid"]
    return argv, [conf]


def write_ngircd(d, port, s, tls_port=None):
    root = s["roots"]["ngircd"]
    conf = d / "ngircd.conf"
    (d / "conf.d").mkdir(exist_ok=True)
    conf.write_text(f"""# ngIRCd, benchmark configuration (bench/compare.py)
[Global]
	Name = ngircd.bench.local
	Info = natter bench comparison
	AdminInfo1 = bench
	AdminInfo2 = loopback
	AdminEMail = bench@localhost
	HelpFile = {root / 'usr/share/doc/ngircd/Commands.txt'}
	Listen = 127.0.0.1
	Ports = {port}
	MotdFile = {d / 'motd.txt'}
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 30
	MaxListSize = 0
	MaxPenaltyTime = 0
	PingTimeout = 120
	PongTimeout = 60
[Options]
	DefaultUserModes = F
	DNS = no
	Ident = no
	PAM = no
	IncludeDir = {d / 'conf.d'}
""")
    argv = [str(root / PACKAGES["ngircd"][1]), "--nodaemon", "--config", str(conf)]
    return argv, [conf]


def hybrid_modules(root):
    """ircd-hybrid loads its autoload modules from a compiled-in path
    (/usr/lib/ircd-hybrid/modules/autoload) whatever ircd.conf says, and
    exits 1 without them. Run from an unpacked copy (its package conflicts
    with ngircd's), that path is made a symlink to the copy's modules."""
    system = Path("/usr/lib/ircd-hybrid")
    if root == Path("/") or system.exists() or system.is_symlink():
        return
    log(f"linking {system} to {root / 'usr/lib/ircd-hybrid'} (hybrid's compiled-in module path)")
    system.symlink_to(root / "usr/lib/ircd-hybrid")


def write_hybrid(d, port, s, tls_port=None):
    root = s["roots"]["hybrid"]
    hybrid_modules(root)
    conf = d / "ircd.conf"
    conf.write_text(f"""/* ircd-hybrid, benchmark configuration (bench/compare.py) */
serverinfo {{
	name = "hybrid.bench.local";
	description = "natter bench comparison";
	network_name = "BenchNet";
	network_description = "natter bench comparison";
	hub = no;
	default_max_clients = {s['fdlimit'] - 100};
	max_nick_length = 30;
	max_topic_length = 300;
}};
admin {{
	name = "bench";
	description = "bench";
	email = "<bench@localhost>";
}};
class {{
	name = "users";
	ping_time = 120 seconds;
	number_per_ip_local = 1000000;
	number_per_ip_global = 1000000;
	max_number = 1000000;
	cidr_bitlen_ipv4 = 32;
	cidr_bitlen_ipv6 = 128;
	number_per_cidr = 1000000;
	max_channels = 1000;
	sendq = {s['sendq']} bytes;
	recvq = 8000 bytes;
}};
listen {{
	host = "127.0.0.1";
	port = {port};
}};
auth {{
	user = "*@*";
	class = "users";
	flags = exceed_limit, can_flood, kline_exempt, xline_exempt, resv_exempt;
}};
exempt {{
	ip = "127.0.0.0/8";
}};
channel {{
	max_channels = 1000;
	default_join_flood_count = 0;
	default_join_flood_time = 0 seconds;
}};
general {{
	disable_auth = yes;
	default_floodcount = 0;
	default_floodtime = 0 seconds;
	anti_nick_flood = no;
	throttle_count = 1000000;
	throttle_time = 0 seconds;
	ping_cookie = no;
	max_targets = 20;
}};
modules {{
	path = "{root / 'usr/lib/ircd-hybrid/modules'}";
	path = "{root / 'usr/lib/ircd-hybrid/modules/autoload'}";
}};
motd {{
	mask = "*";
	file = "{d / 'motd.txt'}";
}};
log {{
	use_logging = no;
}};
""")
    argv = [str(root / PACKAGES["hybrid"][1]), "-foreground", "-configfile", str(conf)]
    for opt, name in [("-pidfile", "ircd.pid"), ("-logfile", "ircd.log"),
                      ("-klinefile", "kline.db"), ("-dlinefile", "dline.db"),
                      ("-xlinefile", "xline.db"), ("-resvfile", "resv.db")]:
        argv += [opt, str(d / name)]
    return argv, [conf]


def write_relay(d, port, s, tls_port=None):
    return [str(s["natter_bin"]), "bench", "relay", "--listen", f"127.0.0.1:{port}"], []


WRITERS = {
    "relay": write_relay,
    "natter": write_natter,
    "inspircd": write_inspircd,
    "ngircd": write_ngircd,
    "hybrid": write_hybrid,
}


# ---------------------------------------------------------------------------
# Running servers


class Ports:
    def __init__(self, base):
        self.next = base

    def take(self):
        while self.next < 32768:
            p = self.next
            self.next += 1
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                    return p
                except OSError:
                    continue
        die("no free port below 32768")


class Server:
    """One started server process, stopped by PID."""

    count = 0

    def __init__(self, name, settings, ports):
        Server.count += 1
        self.name = name
        self.s = settings
        self.port = ports.take()
        self.tls_port = ports.take() if settings.get("tls") else None
        ws = settings.get("tls") and name in WS_SERVERS
        self.http_port = ports.take() if ws else None
        self.https_port = ports.take() if ws else None
        self.dir = settings["tmp"] / f"{Server.count:04d}-{name}"
        self.dir.mkdir()
        (self.dir / "motd.txt").write_text(MOTD)
        self.argv, self.configs = WRITERS[name](self.dir, self.port, settings, self.tls_port)
        if self.http_port:
            # natter's HTTP and HTTPS listeners: IRC over WebSocket.
            conf = self.configs[0]
            text = conf.read_text().replace(
                "http = []\n",
                f'http = ["127.0.0.1:{self.http_port}"]\nhttp_tls = ["127.0.0.1:{self.https_port}"]\n')
            conf.write_text(text)
        self.proc = None
        self.logf = None
        self.backlog = None
        self.note = None

    def start(self):
        s = self.s
        uid, gid = s["uid"], s["gid"]
        for p in [self.dir, *self.dir.rglob("*")]:
            os.chown(p, uid, gid)
        self.logf = open(self.dir / "server.log", "wb")
        kw = dict(stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                  cwd=self.dir, start_new_session=True)
        argv = self.argv
        if self.name == "hybrid" and s.get("resolv"):
            # A private mount namespace whose /etc/resolv.conf names the stub
            # resolver; unshare, sh and setpriv all exec, so the PID is hybrid's.
            argv = ["unshare", "--mount", "--propagation", "private", "--",
                    "/bin/sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                    str(s["resolv"]), "setpriv", f"--reuid={uid}", f"--regid={gid}",
                    "--clear-groups", "--", *argv]
        elif os.geteuid() == 0 and uid != 0:
            kw.update(user=uid, group=gid, extra_groups=[])
        self.proc = subprocess.Popen(argv, **kw)
        s["started"][self.proc.pid] = self
        err = self.wait_ready()
        if err:
            self.stop()
            return err
        exe = os.readlink(f"/proc/{self.proc.pid}/exe").removesuffix(" (deleted)")
        if Path(exe).name not in Path(self.argv[0]).name:
            self.stop()
            return f"PID {self.proc.pid} runs {exe}, not {self.argv[0]}"
        self.backlog = listen_backlog(self.port)
        return None

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        last = "no attempt"
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
            try:
                register_once(self.port, "probe", min(10, deadline - time.time()))
                if self.tls_port:
                    register_once(self.tls_port, "probetls", min(10, deadline - time.time()),
                                  tls=True)
                return None
            except OSError as e:
                last = str(e)
                time.sleep(0.2)
        return f"{self.name} did not accept a registration within {timeout} s ({last}):\n{self.log_tail()}"

    def log_tail(self, n=2000):
        try:
            return (self.dir / "server.log").read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.proc.pid}) ignored SIGTERM; SIGKILL")
                self.proc.kill()
                rc = self.proc.wait()
        self.s["started"].pop(self.proc.pid, None)
        if self.logf:
            self.logf.close()
        return rc


def register_once(port, nick, timeout, tls=False):
    """Registers a client (over TLS, accepting any certificate, with `tls`)
    and quits; raises OSError on any failure (ssl.SSLError is one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = ctx.wrap_socket(c)
        c.settimeout(timeout)
        c.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :probe\r\n".encode())
        buf = b""
        while True:
            data = c.recv(65536)
            if not data:
                raise OSError("closed during registration")
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                words = line.strip().split()
                if words and words[0] == b"PING":
                    c.sendall(b"PONG " + b" ".join(words[1:]) + b"\r\n")
                    continue
                if words[:1] and words[0].startswith(b":"):
                    words = words[1:]
                if words[:1] in ([b"376"], [b"422"]):
                    c.sendall(b"QUIT :probe\r\n")
                    return
                if words[:1] == [b"ERROR"] or words[:1] in ([b"432"], [b"433"]):
                    raise OSError(line.decode(errors="replace"))


def listen_backlog(port):
    """The listen backlog of 127.0.0.1:port (ss shows it as Send-Q)."""
    r = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], text=True, capture_output=True)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0] == "LISTEN":
            try:
                return int(f[2])
            except ValueError:
                pass
    return None


# ---------------------------------------------------------------------------
# The machine's load around each run


def proc_cpu_s(pid, hz):
    """utime + stime of /proc/PID/stat in seconds, and the command name."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rfind(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / hz, stat[stat.find("(") + 1:stat.rfind(")")]


def machine_sample(pid):
    """The machine's CPU seconds by kind (/proc/stat): processes (user, nice,
    system), interrupts (irq, softirq: on loopback, most of the network
    stack's receive work, charged to no process) and steal (other virtual
    machines); every process's CPU seconds; the load average; the time."""
    hz = os.sysconf("SC_CLK_TCK")
    out = {"t": time.time(), "tasks": None, "irq": None, "steal": None, "procs": {},
           "pid": pid, "load": None, "server_writes": None, "server_wbytes": None,
           "tcp_out_segs": None}
    # The server's write system calls (write, writev, sendmsg...) and bytes
    # handed to them, and the machine's TCP segments sent: how many pieces
    # the same deliveries go out in.
    try:
        io = dict(l.split(": ") for l in Path(f"/proc/{pid}/io").read_text().splitlines())
        out["server_writes"] = int(io["syscw"])
        out["server_wbytes"] = int(io["wchar"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        lines = [l.split() for l in Path("/proc/net/snmp").read_text().splitlines()
                 if l.startswith("Tcp:")]
        out["tcp_out_segs"] = int(lines[1][lines[0].index("OutSegs")])
    except (OSError, ValueError, IndexError):
        pass
    try:
        f = Path("/proc/stat").read_text().splitlines()[0].split()
        # user nice system idle iowait irq softirq steal
        v = [int(x) for x in f[1:9]]
        out.update(tasks=(v[0] + v[1] + v[2]) / hz, irq=(v[5] + v[6]) / hz, steal=v[7] / hz)
    except (OSError, ValueError, IndexError):
        pass
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                out["procs"][int(p.name)] = proc_cpu_s(p.name, hz)
            except (OSError, ValueError, IndexError):
                pass
    try:
        out["load"] = float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        pass
    return out


def machine_load(a, b, bench_pid=None):
    """What else ran during a run: the machine's process CPU seconds, its
    interrupt and steal seconds, the server's CPU seconds, the busiest other
    processes (alive at both ends), and the 1-minute load average before and
    after. The report subtracts the server and the generator from the
    process CPU."""
    out = {"load_before": a["load"], "load_after": b["load"],
           "wall_s": round(b["t"] - a["t"], 3)}
    for k in ("tasks", "irq", "steal"):
        if a[k] is not None and b[k] is not None:
            out[f"{k}_cpu_s"] = round(b[k] - a[k], 3)
    for k in ("server_writes", "server_wbytes", "tcp_out_segs"):
        if a[k] is not None and b[k] is not None:
            out[k] = b[k] - a[k]
    pid = a["pid"]
    if pid in a["procs"] and pid in b["procs"]:
        out["server_cpu_s"] = round(b["procs"][pid][0] - a["procs"][pid][0], 3)
    mine = {pid, os.getpid(), bench_pid}
    others = []
    for p, (cpu, name) in b["procs"].items():
        if p in mine or p not in a["procs"]:
            continue
        d = cpu - a["procs"][p][0]
        if d >= 0.05:
            others.append((round(d, 2), name))
    others.sort(reverse=True)
    out["busiest_others"] = others[:5]
    return out


def others_cores(e):
    """CPU (in cores) the rest of the machine used during a run: its busy
    time (processes, irq and softirq) less the server's and the
    generator's. Other processes, and kernel work for the sockets that is
    charged to no process (with tick-based accounting softirq time counts
    in /proc/stat and in the process it interrupted, so this can only
    understate, never overstate, other processes' share)."""
    m = e.get("machine") or {}
    r = e.get("result") or {}
    if m.get("tasks_cpu_s") is None or m.get("server_cpu_s") is None or not m.get("wall_s"):
        return None
    if r.get("bench_cpu_s") is None:
        return None
    busy = m["tasks_cpu_s"] + (m.get("irq_cpu_s") or 0)
    return max(0.0, (busy - m["server_cpu_s"] - r["bench_cpu_s"]) / m["wall_s"])


def ours_cores(e):
    """The server's and the generator's CPU during a run, cores."""
    m = e.get("machine") or {}
    r = e.get("result") or {}
    if m.get("server_cpu_s") is None or r.get("bench_cpu_s") is None or not m.get("wall_s"):
        return None
    return (m["server_cpu_s"] + r["bench_cpu_s"]) / m["wall_s"]


def irq_cores(e):
    """Interrupt (mostly softirq: loopback network) CPU during a run, cores."""
    m = e.get("machine") or {}
    if m.get("irq_cpu_s") is None or not m.get("wall_s"):
        return None
    return m["irq_cpu_s"] / m["wall_s"]


# ---------------------------------------------------------------------------
# Runs


def cap(requested, backlog):
    """Registrations in flight: at most 80 % of the listen backlog."""
    if not backlog:
        return requested
    return max(1, min(requested, int(backlog * 0.8)))


class Runner:
    def __init__(self, args, settings):
        self.args = args
        self.s = settings
        self.ports = Ports(args.port_base)
        self.results = settings["results"]
        self.index = []
        self.configs_saved = set()

    def save_index(self):
        (self.results / "index.json").write_text(json.dumps(self.index, indent=1) + "\n")

    def bench(self, rnd, name, scenario, tag, params, setup_param=None, cap_param=None,
              transport="plain"):
        """Starts `name` fresh, runs one natter bench scenario (over TLS with
        transport "tls"), stops it."""
        server = Server(name, self.s, self.ports)
        err = server.start()
        entry = {"round": rnd, "server": name, "scenario": scenario, "tag": tag,
                 "params": dict(params), "ok": False, "transport": transport}
        if err:
            log(f"  {name}: failed to start: {err}")
            entry["error"] = f"start: {err}"
            self.index.append(entry)
            self.save_index()
            return entry
        if name not in self.configs_saved:
            cdir = self.results / "configs"
            cdir.mkdir(exist_ok=True)
            for c in server.configs:
                shutil.copy(c, cdir / f"{name}-{c.name}")
            self.configs_saved.add(name)
        p = dict(params)
        for key in (setup_param, cap_param):
            if key:
                p[key] = cap(p[key], server.backlog)
        entry["params"] = p
        entry["backlog"] = server.backlog
        jpath = self.results / f"r{rnd}-{name}-{tag}.json"
        jpath.unlink(missing_ok=True)
        port = {"tls": server.tls_port, "ws": server.http_port,
                "wss": server.https_port}.get(transport, server.port)
        argv = [str(self.s["natter_bin"]), "bench", scenario,
                "--addr", f"127.0.0.1:{port}", "--server-pid", str(server.proc.pid),
                "--json", str(jpath), "--label", name]
        if transport == "tls":
            argv.append("--tls")
        elif transport == "ws":
            argv.append("--ws")
        elif transport == "wss":
            argv += ["--tls", "--ws"]
        for k, v in p.items():
            if v is True:
                argv.append(f"--{k.replace('_', '-')}")
            elif v is not False:
                argv += [f"--{k.replace('_', '-')}", str(v)]
        entry["command"] = " ".join(shlex.quote(a) for a in argv)
        entry["json"] = jpath.name
        before = machine_sample(server.proc.pid)
        bench_pid = None
        t0 = time.time()
        try:
            # Popen rather than run: the generator's PID, to tell it from
            # the other processes in the load figures.
            with subprocess.Popen(argv, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) as proc:
                bench_pid = proc.pid
                try:
                    out, errtxt = proc.communicate(timeout=self.args.bench_timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out, errtxt = proc.communicate()
                    raise subprocess.TimeoutExpired(argv, self.args.bench_timeout, out, errtxt)
            rc = proc.returncode
        except subprocess.TimeoutExpired as e:
            rc, out, errtxt = None, e.stdout or "", (e.stderr or "") + "\n(bench timed out)"
            if isinstance(out, bytes):
                out = out.decode(errors="replace")
            if isinstance(errtxt, bytes):
                errtxt = errtxt.decode(errors="replace")
        entry["wall_s"] = round(time.time() - t0, 2)
        entry["machine"] = machine_load(before, machine_sample(server.proc.pid), bench_pid)
        entry["rc"] = rc
        server_died = not server.alive()
        stop_rc = server.stop()
        jpath.with_suffix(".log").write_text(out + errtxt)
        if server_died:
            entry["error"] = f"server exited during the run ({stop_rc})"
            (self.results / f"r{rnd}-{name}-{tag}.server.log").write_text(server.log_tail(20000))
        if jpath.exists():
            entry["result"] = json.loads(jpath.read_text())
        elif not entry.get("error"):
            entry["error"] = (errtxt.strip().splitlines() or ["no JSON written"])[-1]
        if rc != 0 and "result" in entry and not entry.get("error"):
            entry["error"] = f"bench exit status {rc}"
        res = entry.get("result", {})
        entry["ok"] = rc == 0 and not server_died and bool(res) and res.get("errors", 1) == 0
        if errtxt.strip():
            entry["stderr"] = errtxt.strip()[-2000:]
        self.index.append(entry)
        self.save_index()
        log("  " + describe(entry))
        time.sleep(self.args.pause)
        return entry

    def tls_round(self, rnd):
        """natter and InspIRCd over TLS (and plain, the baseline), alternating
        which server goes first from round to round."""
        a = self.args
        servers = a.servers if rnd % 2 else list(reversed(a.servers))
        for transport in a.tls_transports:
            for name in servers:
                if transport in ("ws", "wss") and name not in WS_SERVERS:
                    continue
                log(f"round {rnd}: {name} over {transport}")
                if "fanout" in a.scenarios:
                    for m in a.fanout_members:
                        for rate in a.fanout_rates:
                            e = self.bench(rnd, name, "fanout", f"fanout-m{m}-{transport}-r{rate}",
                                           {"members": m, "senders": a.fanout_senders,
                                            "rate": rate, "duration": a.fanout_duration,
                                            "size": a.fanout_size,
                                            "concurrency": a.setup_concurrency},
                                           setup_param="concurrency", transport=transport)
                            if not sustained(e, a.p99_ms):
                                break
                if "handshakes" in a.scenarios:
                    # Key exchange groups matter to a handshake's cost only
                    # over TLS.
                    groups = a.handshake_groups if transport == "tls" else ["default"]
                    for g in groups:
                        params = {"concurrency": a.handshake_concurrency,
                                  "duration": a.handshake_duration,
                                  "register": a.handshake_register}
                        if g != "default":
                            params["tls_group"] = g
                        tag = f"handshakes-{transport}" + (f"-{g.lower()}" if g != "default" else "")
                        self.bench(rnd, name, "handshakes", tag, params,
                                   cap_param="concurrency", transport=transport)

    def round(self, rnd):
        a = self.args
        if a.tls:
            return self.tls_round(rnd)
        for name in a.servers:
            log(f"round {rnd}: {name}")
            for sc in a.scenarios:
                if name == "relay" and sc not in RELAY_SCENARIOS:
                    continue
                if sc == "connect":
                    self.bench(rnd, name, "connect", "connect",
                               {"clients": a.connect_clients,
                                "concurrency": a.connect_concurrency,
                                "ping_sample": a.connect_ping_sample,
                                "idle": a.connect_idle},
                               cap_param="concurrency")
                elif sc == "fanout":
                    for m in a.fanout_members:
                        for rate in a.fanout_rates:
                            e = self.bench(rnd, name, "fanout", f"fanout-m{m}-r{rate}",
                                           {"members": m, "senders": a.fanout_senders,
                                            "rate": rate, "duration": a.fanout_duration,
                                            "size": a.fanout_size,
                                            "concurrency": a.setup_concurrency},
                                           setup_param="concurrency")
                            if not sustained(e, a.p99_ms):
                                break
                elif sc == "rooms":
                    self.bench(rnd, name, "rooms", "rooms",
                               {"channels": a.rooms_channels, "members": a.rooms_members,
                                "rate": a.rooms_rate, "private_rate": a.rooms_private_rate,
                                "duration": a.rooms_duration,
                                "concurrency": a.setup_concurrency},
                               setup_param="concurrency")
                elif sc == "churn":
                    self.bench(rnd, name, "churn", "churn",
                               {"workers": a.churn_workers, "duration": a.churn_duration},
                               cap_param="workers")


def sustained(entry, p99_ms):
    r = entry.get("result")
    return (entry.get("ok") and r is not None and r.get("lost", 1) == 0
            and r.get("latency_p99_ms", 1e9) <= p99_ms)


def describe(e):
    r = e.get("result") or {}
    head = f"{e['server']} {e['tag']}:"
    m = e.get("machine") or {}
    if m.get("load_before") is not None:
        o, i = others_cores(e), irq_cores(e)
        head += (f" [load {m['load_before']:.2f}"
                 + (f", others {o:.2f}" if o is not None else "")
                 + (f", irq {i:.2f} cores" if i is not None else "") + "]")
    if e.get("error") and not r:
        return f"{head} FAILED: {e['error']}"
    sc = e["scenario"]
    if sc == "connect":
        s = (f"{r.get('registered')} registered ({r.get('per_second', 0):.0f}/s, "
             f"concurrency {e['params'].get('concurrency')}), RSS "
             f"{fmt(r.get('rss_per_client_kib'), 2)} KiB/client, ping "
             f"{r.get('ping_ok')}/{r.get('ping_sampled')}")
    elif sc == "handshakes":
        s = (f"{r.get('cycles')} handshakes ({r.get('per_second', 0):.0f}/s, concurrency "
             f"{e['params'].get('concurrency')}), p50 {fmt(r.get('latency_p50_ms'), 2)} p99 "
             f"{fmt(r.get('latency_p99_ms'), 2)} ms, {r.get('tls') or 'plain TCP'}")
    elif sc == "churn":
        # Results before `cycles` existed counted cycles in `registered`.
        s = f"{r.get('cycles', r.get('registered'))} cycles ({r.get('per_second', 0):.0f}/s, workers {e['params'].get('workers')})"
    else:
        s = (f"{r.get('deliveries')}/{r.get('deliveries_expected')} delivered "
             f"({r.get('lost')} lost), {r.get('deliveries_per_second', 0):.0f}/s, "
             f"p50 {fmt(r.get('latency_p50_ms'), 2)} p99 {fmt(r.get('latency_p99_ms'), 2)} ms")
    s += f", errors {r.get('errors')}"
    if e.get("error"):
        s += f" [{e['error']}]"
    return f"{head} {s}"


# ---------------------------------------------------------------------------
# Machine and versions


def machine_info():
    info = {}
    info["nproc"] = len(os.sched_getaffinity(0))
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    info["kernel"] = platform.release()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                info["os"] = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    info["fd_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    try:
        info["somaxconn"] = int(Path("/proc/sys/net/core/somaxconn").read_text())
        info["ephemeral_ports"] = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except OSError:
        pass
    info["python"] = platform.python_version()
    return info


def versions(settings):
    v = {}
    def out(argv, **kw):
        try:
            r = subprocess.run(argv, text=True, capture_output=True, timeout=20, **kw)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"({e})"
    nb = str(settings["natter_bin"])
    rev = out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    # Only what the binary is built from counts; the report itself changes.
    dirty = out(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no",
                 "--", "crates", "Cargo.toml", "Cargo.lock"])
    v["natter"] = {"version": out([nb, "--version"]),
                   "git": rev + (" (with uncommitted changes)" if dirty else "")}
    v["relay"] = {"version": "natter bench relay", "git": v["natter"]["git"]}
    uid, gid = settings["uid"], settings["gid"]
    as_user = dict(user=uid, group=gid, extra_groups=[]) if os.geteuid() == 0 and uid != 0 else {}
    for name, cmd in [("inspircd", ["--version"]), ("ngircd", ["--version"]), ("hybrid", ["-version"])]:
        root = settings["roots"].get(name)
        if root is None:
            continue
        pkg, rel = PACKAGES[name]
        text = out([str(root / rel), *cmd], **as_user)
        first = text.splitlines()[0] if text else ""
        if root == Path("/"):
            pv = out(["dpkg-query", "-W", "-f=${Version}", pkg])
            source = "Debian package"
        else:
            pv = (CACHE / pkg / "version").read_text().strip()
            source = f"Debian package unpacked under {root}"
        v[name] = {"version": first, "package": f"{pkg} {pv}", "source": source}
    return v


# ---------------------------------------------------------------------------
# Report


def median_range(values, digits=0):
    vals = [x for x in values if x is not None]
    if not vals:
        return "n/a", None
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, digits), med
    return f"{fmt(med, digits)} ({fmt(min(vals), digits)}..{fmt(max(vals), digits)})", med


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ratio(med, base):
    if med is None or base in (None, 0):
        return "n/a"
    r = med / base
    return f"{r:.2f}×" if r >= 0.1 or r == 0 else f"{r:.2g}×"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def report(results_dir, doc_path):
    meta = json.loads((results_dir / "meta.json").read_text())
    index = json.loads((results_dir / "index.json").read_text())
    args = meta["args"]
    servers = [s for s in SERVERS if s in args["servers"]]
    rounds = sorted({e["round"] for e in index}) or [1]
    L = []
    w = L.append
    w("# Performance: natter compared with InspIRCd, ngIRCd and ircd-hybrid")
    w("")
    w(f"Generated by `bench/compare.py` from the results in `{os.path.relpath(results_dir, REPO)}` "
      f"({meta['started']} to {meta.get('finished', '?')}), {len(rounds)} round(s)"
      + (", **quick mode (tiny sizes, not a measurement)**" if args.get("quick") else "") + ".")
    w("Every number comes from `natter bench` (crates/natter/src/bench/) against a freshly "
      "started server on a loopback port; rounds are interleaved (natter, inspircd, ngircd, "
      "hybrid, then again). A cell reads *median (min..max)* across rounds; ratios (× natter) "
      "are the server's median divided by natter's: for rates higher is better, for RSS, "
      "latency and CPU lower is better.")
    w("")
    w("## Machine")
    w("")
    m = meta["machine"]
    w(f"- CPU: {m.get('nproc')} × {m.get('cpu', '?')} (`nproc`, `/proc/cpuinfo`)")
    w(f"- Memory: {m.get('memory', '?')}")
    w(f"- Kernel: Linux {m.get('kernel')} ({m.get('os', '?')})")
    w(f"- Open files per process (`ulimit -n`): {m.get('fd_limit'):,}, inherited by every "
      f"server and by the bench (which holds one socket per client): the connect scenario "
      f"has to stay under it ({args['connect_clients']:,} clients here)")
    w(f"- `net.core.somaxconn` {m.get('somaxconn')}, ephemeral ports "
      f"{'..'.join(m.get('ephemeral_ports', []))}")
    w("- The bench and the server share the same CPUs; the bench's own CPU time is in every "
      "JSON result (`bench_cpu_s`)")
    w("")
    w("## Versions")
    w("")
    v = meta["versions"]
    rows = []
    if "natter" in v:
        rows.append(["natter", v["natter"]["version"], f"git {v['natter']['git']}", "built here, `--release`"])
    if "relay" in v and "relay" in servers:
        rows.append(["relay", v["relay"]["version"], f"git {v['relay']['git']}", "the natter binary"])
    for name in ["inspircd", "ngircd", "hybrid"]:
        if name in v:
            rows.append([name, v[name]["version"], v[name]["package"], v[name]["source"]])
    w(table(["server", "reports", "package", "from"], rows))
    w("")
    w("## Settings")
    w("")
    w("Every server listens on one 127.0.0.1 port, runs as an unprivileged user "
      f"(`{meta['run_as']}`) from a temporary directory, and shows the same one-line MOTD. "
      f"SendQ is {args['sendq']:,} bytes wherever it can be set. What each configuration turns "
      "off, and what could not be turned off:")
    w("")
    for name in servers:
        notes = SETTINGS_NOTES[name]
        w(f"### {name}")
        w("")
        values = dict(sendq=f"{args['sendq']:,}", stub=f"{STUB_DNS[0]}:{STUB_DNS[1]}",
                      natter_threads=args.get("natter_threads", 0),
                      history=args.get("natter_history", "on"))
        for i, (heading, key) in enumerate((("Turned off / set:", "off"),
                                            ("Could not be turned off:", "cannot"))):
            if i:
                w("")
            w(heading)
            w("")
            for n in notes[key]:
                w("- " + n.format(**values))
        if name == "hybrid" and meta.get("hybrid_note"):
            w(f"- **this run:** {meta['hybrid_note']}")
        w("")
        cdir = results_dir / "configs"
        for c in sorted(cdir.glob(f"{name}-*")) if cdir.exists() else []:
            lang = "toml" if c.suffix == ".toml" else ""
            w("<details><summary>" + c.name.split("-", 1)[1] + " (the port and paths change per run)</summary>")
            w("")
            w(f"```{lang}")
            w(c.read_text().rstrip())
            w("```")
            w("")
            w("</details>")
            w("")
    w("## Commands")
    w("")
    w("The whole comparison:")
    w("")
    w("```")
    w(meta["command"])
    w("```")
    w("")
    w("Each run is one `natter bench` invocation against a freshly started server, for example "
      "(port and PID differ per run; registrations in flight, `--concurrency` and churn "
      "`--workers`, are capped at 80 % of the server's listen backlog, read with `ss` after "
      "start-up):")
    w("")
    w("```")
    seen = {}
    for e in index:
        if not e.get("command"):
            continue
        cmd = template(e)
        key = (e["scenario"], e["params"].get("members"), cmd)
        seen.setdefault(key, []).append(e["server"])
    order = lambda kv: (SCENARIOS.index(kv[0][0]), kv[0][1] or 0)
    for (_, _, cmd), who in sorted(seen.items(), key=order):
        names = sorted(set(who), key=SERVERS.index)
        w(f"# {', '.join(names)}")
        w(cmd)
    w("```")
    w("")
    w("Backlogs seen: " + ", ".join(
        f"{s} {b}" for s, b in sorted({(e['server'], e.get('backlog')) for e in index if e.get('backlog')})) + ".")
    w("")

    def entries(server, scenario, pred=lambda e: True):
        return [e for e in index if e["server"] == server and e["scenario"] == scenario and pred(e)]

    def round_results(server, scenario, pred=lambda e: True):
        """Per round that has one: the last good run's `natter bench` JSON."""
        results = []
        for rnd in rounds:
            es = [e for e in entries(server, scenario, pred) if e["round"] == rnd and e.get("ok")]
            if es:
                results.append(es[-1]["result"])
        return results

    def per_round(server, scenario, key, pred=lambda e: True):
        return [r.get(key) for r in round_results(server, scenario, pred)]

    def thread_per_million(server, scenario, name):
        """Per round: CPU s per million deliveries of the server's threads
        called `name` (`server_threads` in `natter bench`'s JSON)."""
        vals = []
        for r in round_results(server, scenario):
            t = (r.get("server_threads") or {}).get(name)
            if t and r.get("deliveries"):
                vals.append((t["user_s"] + t["sys_s"]) / r["deliveries"] * 1e6)
        return vals

    def okcount(server, scenario, pred=lambda e: True):
        es = entries(server, scenario, pred)
        return f"{sum(1 for e in es if e.get('ok'))}/{len(es)}"

    # connect
    if "connect" in args["scenarios"]:
        w("## Connect: idle clients")
        w("")
        w(f"{args['connect_clients']:,} clients register (`--concurrency` at a time) and idle "
          f"{args['connect_idle']} s; then {args['connect_ping_sample']} of them, spread evenly, "
          "must answer a PING. RSS per client is the server's RSS growth divided by the clients.")
        w("")
        rows = []
        base = {}
        for s in servers:
            rate, rmed = median_range(per_round(s, "connect", "per_second"))
            rss, smed = median_range(per_round(s, "connect", "rss_per_client_kib"), 2)
            if s == "natter":
                base = {"rate": rmed, "rss": smed}
            conc = sorted({e["params"].get("concurrency") for e in entries(s, "connect")} - {None})
            reg = per_round(s, "connect", "registered")
            pings = [f"{e['result'].get('ping_ok')}/{e['result'].get('ping_sampled')}"
                     for e in entries(s, "connect") if e.get("result")]
            rows.append([s, ",".join(map(str, conc)), okcount(s, "connect"),
                         median_range(reg)[0], rate, ratio(rmed, base.get("rate")),
                         rss, ratio(smed, base.get("rss")), " ".join(pings) or "n/a"])
        w(table(["server", "concurrency", "runs ok", "registered", "registrations/s",
                 "× natter", "RSS KiB/client", "× natter", "PING answered"], rows))
        w("")
        failures(w, [e for e in index if e["scenario"] == "connect"])

    # fan-out
    if "fanout" in args["scenarios"]:
        for mem in args["fanout_members"]:
            w(f"## Fan-out: one channel of {mem:,} members")
            w("")
            w(f"{args['fanout_senders']} members send {args['fanout_size']}-byte-padded messages "
              f"for {args['fanout_duration']} s at an offered rate (messages/s, all senders "
              f"together); every other member receives each. The offered rate steps through "
              f"{', '.join(f'{r:,}' for r in args['fanout_rates'])} and a server's sweep stops at "
              f"the first step with p99 > {args['p99_ms']:g} ms, any loss or any error. "
              "*Sustained* is the highest offered rate that passed; the other columns are "
              "measured at that rate in each round.")
            w("")
            def steps(server, rnd):
                return [e for e in index if e["server"] == server and e["scenario"] == "fanout"
                        and e["params"].get("members") == mem and e["round"] == rnd]

            def passed(server, rnd):
                return [e for e in steps(server, rnd) if sustained(e, args["p99_ms"])]

            # The highest offered rate every server passed, per round: CPU per
            # delivery falls as the rate rises (more lines share a write), so
            # servers are also compared at one rate, not only each at its own best.
            common = {rnd: min((max((e["params"]["rate"] for e in passed(s, rnd)), default=0)
                                for s in servers), default=0)
                      for rnd in rounds}
            # Per server: the figures at its sustained rate (`at`) and at the
            # common rate (`same`), median (min..max) across rounds.
            figures = {}
            for s in servers:
                best, at, shared, stops = [], [], [], []
                for rnd in rounds:
                    es = steps(s, rnd)
                    ok = passed(s, rnd)
                    if ok:
                        top = max(ok, key=lambda e: e["params"]["rate"])
                        best.append(top["params"]["rate"])
                        at.append(top["result"])
                    elif es:
                        best.append(0)
                    shared += [e["result"] for e in ok if e["params"]["rate"] == common[rnd]][-1:]
                    failed = [e for e in es if not sustained(e, args["p99_ms"])]
                    if failed:
                        stops.append(f"r{rnd}: {why(failed[0], args['p99_ms'])}")
                    elif es:
                        stops.append(f"r{rnd}: passed every step")

                def cpu(results, key="server_cpu_s_per_million"):
                    return median_range([r.get(key) for r in results], 2)

                rate, rmed = median_range(best)
                if best and max(best) == 0:
                    rate = f"none (< {args['fanout_rates'][0]:,})"
                figures[s] = dict(
                    rate=(rate, rmed),
                    dps=median_range([r.get("deliveries_per_second") for r in at]),
                    p99=median_range([r.get("latency_p99_ms") for r in at], 2),
                    cpu=cpu(at), user=cpu(at, "server_user_s_per_million"),
                    sys=cpu(at, "server_sys_s_per_million"),
                    same=cpu(shared), same_user=cpu(shared, "server_user_s_per_million"),
                    same_sys=cpu(shared, "server_sys_s_per_million"),
                    stops="; ".join(stops) or "n/a")
            base = figures.get("natter", {})
            floor = figures.get("relay", {})

            def vs(f, key, other):
                return ratio(f[key][1], other[key][1] if other else None)

            rows = [[s, f["rate"][0], vs(f, "rate", base), f["dps"][0], f["p99"][0], f["cpu"][0],
                     f["user"][0], f["sys"][0], vs(f, "cpu", base), vs(f, "cpu", floor),
                     f["stops"]] for s, f in figures.items()]
            w(table(["server", "sustained msgs/s", "× natter", "deliveries/s there",
                     "p99 ms there", "server CPU s per 10⁶ deliveries there", "user",
                     "system", "× natter", "× relay", "sweep stopped by"], rows))
            w("")
            rates_seen = sorted({r for r in common.values() if r})
            w("At one rate for all, the highest every server sustained in the round ("
              + (", ".join(f"{r:,}" for r in rates_seen) or "none") + " msgs/s): server CPU s "
              "per 10⁶ deliveries.")
            w("")
            rows = [[s, f["same"][0], f["same_user"][0], f["same_sys"][0], vs(f, "same", base),
                     vs(f, "same", floor)] for s, f in figures.items()]
            w(table(["server", "CPU", "user", "system", "× natter", "× relay"], rows))
            w("")
            w("CPU is the server process's utime and stime (`/proc/PID/stat`, every thread) over "
              "the measured window, per million deliveries: *user* is the server's own code, "
              "*system* the kernel's work on its behalf (mostly the writes). *× relay* divides by "
              "the relay's figure in the same rounds: the floor.")
            w("")
            w("<details><summary>Every step: p99 ms / lost deliveries, per round</summary>")
            w("")
            rates = args["fanout_rates"]
            srows = []
            for s in servers:
                for rnd in rounds:
                    cells = []
                    for rate in rates:
                        es = [e for e in index if e["server"] == s and e["scenario"] == "fanout"
                              and e["params"].get("members") == mem and e["round"] == rnd
                              and e["params"].get("rate") == rate]
                        if not es:
                            cells.append("")
                        elif not es[-1].get("result"):
                            cells.append("failed")
                        else:
                            r = es[-1]["result"]
                            cells.append(f"{r['latency_p99_ms']:.1f} / {r['lost']}"
                                         + ("" if r.get("errors", 0) == 0 else f" / {r['errors']} err"))
                    srows.append([s, rnd, *cells])
            w(table(["server", "round", *[f"{r:,}/s" for r in rates]], srows))
            w("")
            w("</details>")
            w("")
            failures(w, [e for e in index if e["scenario"] == "fanout"
                         and e["params"].get("members") == mem and not e.get("result")])

    # rooms
    if "rooms" in args["scenarios"]:
        w(f"## Rooms: {args['rooms_channels']:,} channels × {args['rooms_members']} members")
        w("")
        w(f"{args['rooms_channels'] * args['rooms_members']:,} clients, each in one channel; "
          f"{args['rooms_rate']:,} channel messages/s spread over the channels and "
          f"{args['rooms_private_rate']:,} private messages/s between random pairs, for "
          f"{args['rooms_duration']} s.")
        w("")
        rows = []
        base = {}
        for s in servers:
            dps, dmed = median_range(per_round(s, "rooms", "deliveries_per_second"))
            p50, _ = median_range(per_round(s, "rooms", "latency_p50_ms"), 2)
            p99, _ = median_range(per_round(s, "rooms", "latency_p99_ms"), 2)
            lost, _ = median_range(per_round(s, "rooms", "lost"))
            cpu, cmed = median_range(per_round(s, "rooms", "server_cpu_s_per_million"), 2)
            user, umed = median_range(per_round(s, "rooms", "server_user_s_per_million"), 2)
            sys_, _ = median_range(per_round(s, "rooms", "server_sys_s_per_million"), 2)
            if s == "natter":
                base = {"dps": dmed, "cpu": cmed, "user": umed}
            rows.append([s, okcount(s, "rooms"), dps, ratio(dmed, base.get("dps")), p50, p99,
                         lost, cpu, user, sys_, ratio(cmed, base.get("cpu")),
                         ratio(umed, base.get("user"))])
        w(table(["server", "runs ok", "deliveries/s", "× natter", "p50 ms", "p99 ms", "lost",
                 "server CPU s per 10⁶ deliveries", "user", "system", "× natter",
                 "user × natter"], rows))
        w("")
        history = []
        if "natter" in servers and args.get("natter_history", "on") == "on":
            history = thread_per_million("natter", "rooms", "natter-history")
        if history:
            h, _ = median_range(history, 2)
            w(f"Of natter's server CPU, its message history writer (the `natter-history` thread, "
              f"from `natter bench`'s `server_threads`) took {h} s per million deliveries; "
              f"the other servers keep no history.")
            w("")
        failures(w, [e for e in index if e["scenario"] == "rooms"])

    # churn
    if "churn" in args["scenarios"]:
        w("## Churn: connect, register, join, part, quit")
        w("")
        w(f"`--workers` clients at a time, each cycling connect → register → JOIN → PART → "
          f"QUIT (until ERROR) for {args['churn_duration']} s.")
        w("")
        rows = []
        base = {}
        for s in servers:
            cps, cmed = median_range(per_round(s, "churn", "per_second"))
            if s == "natter":
                base = {"cps": cmed}
            workers = sorted({e["params"].get("workers") for e in entries(s, "churn")} - {None})
            cpu, _ = median_range(per_round(s, "churn", "server_cpu_s"), 2)

            def per_cycle(key):
                vals = []
                for rnd in rounds:
                    es = [e for e in entries(s, "churn") if e["round"] == rnd and e.get("ok")]
                    r = es[-1]["result"] if es else {}
                    # Results before `cycles` existed counted cycles in `registered`.
                    n = r.get("cycles", r.get("registered"))
                    if r.get(key) is not None and n:
                        vals.append(r[key] / n * 1e6)
                return median_range(vals, 1)[0]

            rows.append([s, ",".join(map(str, workers)), okcount(s, "churn"), cps,
                         ratio(cmed, base.get("cps")), cpu, per_cycle("server_cpu_s"),
                         per_cycle("bench_cpu_s")])
        w(table(["server", "workers", "runs ok", "cycles/s", "× natter", "server CPU s",
                 "server CPU µs per cycle", "bench CPU µs per cycle"], rows))
        w("")
        w("The generator shares the two cores with the server: when the two CPU columns add up "
          "to most of two cores' time, the cycle rate says as much about the generator as "
          "about the server.")
        w("")
        failures(w, [e for e in index if e["scenario"] == "churn"])

    tls_section = existing_section(doc_path, TLS_HEADING)
    if tls_section:
        w(TLS_HEADING)
        w("")
        w(tls_section)
        w("")
    w(PROFILE_HEADING)
    w("")
    profile = existing_profile(doc_path)
    w(profile if profile else "_To be filled in by the lead: where natter spends its time on the "
      "fan-out path (perf profile of the 1,000-member fan-out at its sustained rate)._")
    w("")
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text("\n".join(L))
    log(f"wrote {doc_path}")


PROFILE_HEADING = "## Profile of the fan-out path"


def existing_profile(doc_path):
    """The body of an already written profile section, to keep it."""
    try:
        text = doc_path.read_text()
    except OSError:
        return None
    if PROFILE_HEADING not in text:
        return None
    body = text.split(PROFILE_HEADING, 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0].strip()
    if not body or body.startswith("_To be filled in by the lead"):
        return None
    return body


def template(e):
    """A run's command with the per-run parts (port, PID, paths, rate) as names."""
    cmd = e["command"]
    cmd = re.sub(r"--addr 127\.0\.0\.1:\d+", "--addr 127.0.0.1:PORT", cmd)
    cmd = re.sub(r"--server-pid \d+", "--server-pid PID", cmd)
    cmd = re.sub(r"--json \S+", "--json RESULTS/r<ROUND>-<SERVER>-" + e["tag"].split("-r")[0]
                 + (".json" if e["scenario"] != "fanout" else "-r<RATE>.json"), cmd)
    cmd = re.sub(r"--label \S+", "--label <SERVER>", cmd)
    cmd = cmd.replace(str(REPO) + "/", "")
    if e["scenario"] == "fanout":
        cmd = re.sub(r"--rate \d+", "--rate <RATE>", cmd)
    return cmd


def why(e, p99_ms):
    r = e.get("result")
    rate = e["params"].get("rate")
    if not r:
        return f"failed at {rate:,}/s ({e.get('error', '?')})"
    parts = []
    if r.get("errors"):
        parts.append(f"{r['errors']} errors")
    if r.get("lost"):
        parts.append(f"{r['lost']:,} lost")
    if r.get("latency_p99_ms", 0) > p99_ms:
        parts.append(f"p99 {r['latency_p99_ms']:.1f} ms")
    if e.get("error") and not parts:
        parts.append(e["error"])
    return f"{', '.join(parts)} at {rate:,}/s"


def failures(w, es):
    bad = [e for e in es if e.get("error")]
    if not bad:
        return
    w("Problems in these runs:")
    w("")
    for e in bad:
        w(f"- round {e['round']}, {e['server']} {e['tag']}: {e['error']}")
    w("")


# ---------------------------------------------------------------------------
# --tls: the certificate, and the "Over TLS" section


def make_certificate(tmp, uid, gid):
    """A self-signed ECDSA P-256 certificate both servers present."""
    d = tmp / "tls"
    d.mkdir()
    cert, key = d / "cert.pem", d / "key.pem"
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30",
            "-subj", "/CN=bench.local",
            "-addext", "subjectAltName=DNS:bench.local,DNS:localhost,IP:127.0.0.1"]
    run(argv)
    for p in (d, cert, key):
        os.chown(p, uid, gid)
    os.chmod(d, 0o755)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o600)
    text = run(["openssl", "x509", "-in", str(cert), "-noout", "-text"], quiet=True).stdout
    sig = re.search(r"Signature Algorithm: (\S+)", text)
    return {"cert": cert, "key": key,
            "command": " ".join(shlex.quote(a) for a in argv).replace(str(d) + "/", ""),
            "describe": "self-signed, ECDSA P-256 key, " + (sig.group(1) if sig else "?")}


def gnutls_version():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libgnutls30"],
                       text=True, capture_output=True)
    return r.stdout.strip() or "?"


def rustls_version():
    """rustls and aws-lc-rs as Cargo.lock pins them."""
    try:
        lock = (REPO / "Cargo.lock").read_text()
    except OSError:
        return "?"
    found = {}
    for name in ("rustls", "aws-lc-rs"):
        m = re.search(r'name = "' + re.escape(name) + r'"\nversion = "([^"]+)"', lock)
        found[name] = m.group(1) if m else "?"
    return f"rustls {found['rustls']} with aws-lc-rs {found['aws-lc-rs']}"


def existing_section(doc_path, heading, sub=None):
    """The body of section `heading` (## level) of the doc, or of its
    subsection `sub` (### level) when given; None if absent or empty."""
    try:
        text = doc_path.read_text()
    except OSError:
        return None
    if heading + "\n" not in text:
        return None
    body = text.split(heading + "\n", 1)[1]
    body = re.split(r"\n## ", body, maxsplit=1)[0]
    if sub is not None:
        if sub + "\n" not in body:
            return None
        body = body.split(sub + "\n", 1)[1]
        body = re.split(r"\n### ", body, maxsplit=1)[0]
    body = body.strip()
    return body or None


def tls_template(e):
    cmd = template(e)
    cmd = re.sub(r"-(tls|plain)-r<RATE>", "-<TRANSPORT>-r<RATE>", cmd)
    cmd = re.sub(r"-handshakes-(tls|plain)(-[\w]+)?\.json",
                 lambda m: "-handshakes-<TRANSPORT>" + ("-<GROUP>" if m.group(2) else "") + ".json",
                 cmd)
    cmd = re.sub(r"--tls-group \S+", "--tls-group <GROUP>", cmd)
    return cmd


def tls_report(results_dir, doc_path):
    """Writes the "Over TLS" section into `doc_path` (in place of an earlier
    one, else before the profile section, else at the end), keeping the
    rest of the file and a written "What the numbers mean"."""
    meta = json.loads((results_dir / "meta.json").read_text())
    index = json.loads((results_dir / "index.json").read_text())
    args = meta["args"]
    servers = [s for s in TLS_SERVERS if s in args["servers"]]
    transports = args.get("tls_transports") or ["tls", "plain"]
    rounds = sorted({e["round"] for e in index}) or [1]
    p99_ms = args["p99_ms"]
    L = []
    w = L.append
    w(TLS_HEADING)
    w("")
    w(f"Generated by `bench/compare.py --tls` from the results in "
      f"`{os.path.relpath(results_dir, REPO)}` ({meta['started']} to {meta.get('finished', '?')}), "
      f"{len(rounds)} round(s)"
      + (", **quick mode (tiny sizes, not a measurement)**" if args.get("quick") else "") + ".")
    w(f"natter and InspIRCd, each over TLS and, as the baseline of the same run, over plain TCP"
      + ("; natter also over IRC over WebSocket (`ws`: its HTTP listener, `wss`: its HTTPS "
         "listener; IRCv3 `text.ircv3.net`, one line per message, path `/`; InspIRCd 3.15's "
         "websocket module speaks `text.inspircd.org` instead and is not run)"
         if any(t in transports for t in ("ws", "wss")) else "") + ". "
      "Every run is one `natter bench` invocation against a freshly started server; each round "
      f"runs the transports in the order {', '.join(transports)}, and within each the servers, "
      "natter first in odd rounds and InspIRCd first in even ones (so that neither always "
      "follows the other on a machine whose load drifts). A cell reads *median (min..max)* "
      "across rounds. The generator (`natter bench --tls`) is a rustls client that accepts any "
      "certificate but checks the handshake's signature, and never resumes a session: every "
      "handshake is a full one.")
    w("")
    w("### Setup")
    w("")
    t = meta.get("tls", {})
    v = meta["versions"]
    w(f"- Certificate, the same file for both servers: {t.get('certificate', '?')}, made by "
      f"`{t.get('command', '?')}`")
    if "natter" in v:
        w(f"- {v['natter']['version']} (git {v['natter']['git']}): "
          f"{t.get('rustls', 'rustls')}; `[listen] irc_tls` on a port of its own, `[tls] cert` "
          f"and `key` naming the files above, `server.threads` = {args.get('natter_threads')} "
          "(as in the plain comparison above)")
    if "inspircd" in v:
        w(f"- {v['inspircd']['version']} (Debian package {v['inspircd']['package']}): "
          "module `ssl_gnutls` (GnuTLS "
          f"{t.get('gnutls', '?')}), `<sslprofile provider=\"gnutls\" hash=\"sha256\" "
          f"requestclientcert=\"no\" outrecsize=\"16384\" dhfile=\"\">` (outrecsize, the largest "
          "TLS record it writes, is 2048 by default; 16384 is TLS's maximum, natter's record "
          "size too) and `<bind ... sslprofile=\"bench\">`; otherwise the configuration of the "
          "plain comparison above")
    negotiated = {}
    for e in index:
        tls = (e.get("result") or {}).get("tls")
        if tls:
            negotiated.setdefault(e["server"], set()).add(tls)
    for s in servers:
        if s in negotiated:
            w(f"- Negotiated with {s}: " + "; ".join(f"`{x}`" for x in sorted(negotiated[s])))
    w("")

    def es(server, transport, scenario, pred=lambda e: True):
        return [e for e in index if e["server"] == server and e.get("transport") == transport
                and e["scenario"] == scenario and pred(e)]

    # The load.
    w("### Load on the machine during the runs")
    w("")
    w("Two cores, shared with other work (other engineers' builds and tests in this "
      "machine). Per run, in cores over its wall time: *ours* is the server's CPU "
      "(`/proc/PID/stat`) and the generator's own; *rest* is the machine's busy time "
      "(`/proc/stat`: user, nice, system, irq, softirq) less ours: other processes, and "
      "kernel work for the sockets charged to no process; *interrupts* is the irq and "
      "softirq part of the machine's time (on loopback mostly the network stack's receive "
      "work; the kernel counts a tick that lands in softirq both there and in the process "
      "it interrupted, so *rest* can understate other processes but not overstate them); "
      "*steal* is time the hypervisor gave to other virtual machines. The busiest other "
      "processes are those alive at both ends of a run. "
      f"Load average at the start {meta.get('load_at_start', '?')}, at the end "
      f"{meta.get('load_at_end', '?')}.")
    w("")
    rows = []
    for s in servers:
        for tr in transports:
            runs = es(s, tr, "fanout") + es(s, tr, "handshakes")
            if not runs:
                continue
            ms = [e.get("machine") or {} for e in runs]
            loads = [m.get("load_before") for m in ms]
            steal = [m["steal_cpu_s"] / m["wall_s"] for m in ms
                     if m.get("steal_cpu_s") is not None and m.get("wall_s")]
            busiest = {}
            for m in ms:
                for cpu, name in m.get("busiest_others", []):
                    busiest[name] = busiest.get(name, 0) + cpu
            top = ", ".join(f"{n} {c:.1f} s" for n, c in
                            sorted(busiest.items(), key=lambda x: -x[1])[:4]) or "none"
            rest = [others_cores(e) for e in runs]
            rows.append([s, tr, len(runs), median_range(loads, 2)[0],
                         median_range([ours_cores(e) for e in runs], 2)[0],
                         median_range(rest, 2)[0],
                         sum(1 for x in rest if x is not None and x >= 0.5),
                         median_range([irq_cores(e) for e in runs], 2)[0],
                         median_range(steal, 2)[0], top])
    w(table(["server", "transport", "runs", "1-min load average before a run",
             "ours, cores", "rest, cores", "runs with rest ≥ 0.5 core",
             "interrupts, cores", "steal, cores",
             "busiest other processes (CPU over all these runs)"], rows))
    w("")

    if "fanout" in args["scenarios"]:
        for mem in args["fanout_members"]:
            fan = lambda e, mem=mem: e["params"].get("members") == mem
            w(f"### Fan-out: one channel of {mem:,} members")
            w("")
            w(f"{args['fanout_senders']} members send {args['fanout_size']}-byte-padded messages "
              f"for {args['fanout_duration']} s at an offered rate stepping through "
              f"{', '.join(f'{r:,}' for r in args['fanout_rates'])} msgs/s; a sweep stops at the "
              f"first step with p99 > {p99_ms:g} ms, any loss or any error. *Sustained* is the "
              "highest offered rate that passed; the other columns are measured there. CPU per "
              "10⁶ deliveries is the server's (and the generator's) CPU time over the sending "
              "window, from /proc/PID/stat, divided by the deliveries counted.")
            w("")
            rows = []
            for s in servers:
                for tr in transports:
                    best, at, stops = [], [], []
                    for rnd in rounds:
                        steps = [e for e in es(s, tr, "fanout", fan) if e["round"] == rnd]
                        passed = [e for e in steps if sustained(e, p99_ms)]
                        if passed:
                            top = max(passed, key=lambda e: e["params"]["rate"])
                            best.append(top["params"]["rate"])
                            at.append(top["result"])
                        elif steps:
                            best.append(0)
                        failed = [e for e in steps if not sustained(e, p99_ms)]
                        if failed:
                            stops.append(f"r{rnd}: {why(failed[0], p99_ms)}")
                        elif steps:
                            stops.append(f"r{rnd}: passed every step")
                    if not best:
                        continue
                    rate, _ = median_range(best)
                    if max(best) == 0:
                        rate = f"none (< {args['fanout_rates'][0]:,})"
                    bench_cpu = [r["bench_cpu_s"] / r["deliveries"] * 1e6
                                 for r in at if r.get("deliveries")]
                    rows.append([s, tr, rate,
                                 median_range([r.get("deliveries_per_second") for r in at])[0],
                                 median_range([r.get("latency_p99_ms") for r in at], 2)[0],
                                 median_range([r.get("server_cpu_s_per_million") for r in at], 2)[0],
                                 median_range(bench_cpu, 2)[0],
                                 "; ".join(stops)])
            w(table(["server", "transport", "sustained msgs/s", "deliveries/s there",
                     "p99 ms there", "server CPU s per 10⁶ deliveries there",
                     "generator CPU s per 10⁶ deliveries there", "sweep stopped by"], rows))
            w("")
            # The same offered load for all: CPU per delivery is a fair
            # comparison only at equal rates (it falls as the rate rises and
            # writes carry more lines each). Every rate that every server
            # ran over every transport without loss, in enough rounds.
            need = min(2, len(rounds))
            clean = lambda e: (e.get("result") and e["result"].get("lost") == 0
                               and e["result"].get("errors", 1) == 0)
            combos = [(s, tr) for s in servers for tr in transports if es(s, tr, "fanout", fan)]
            common = [rate for rate in args["fanout_rates"]
                      if all(len([e for e in es(s, tr, "fanout", fan)
                                  if e["params"]["rate"] == rate and clean(e)]) >= need
                             for s, tr in combos)]
            if common:
                w("At the same offered load: every rate that every server ran over every transport "
                  f"without loss in at least {need} round(s) (whatever its p99), medians over those "
                  "runs. *Interrupts* is the machine's irq and softirq time over the whole run "
                  "(set-up included) per delivery: work the kernel does for the sockets that "
                  "neither process is charged for. *Write calls* are the server's write system "
                  "calls (`syscw` in /proc/PID/io) and *TCP segments* the machine's (`OutSegs` in "
                  "/proc/net/snmp, both directions of loopback, the generator's too), over the "
                  "whole run: how many pieces the same deliveries went out in.")
                w("")
                rows = []
                for rate in common:
                    for s in servers:
                        base = None
                        for tr in sorted(transports, key=lambda x: x != "plain"):
                            runs = [e for e in es(s, tr, "fanout", fan)
                                    if e["params"]["rate"] == rate and clean(e)]
                            if not runs:
                                continue
                            rs = [e["result"] for e in runs]
                            cpu, cmed = median_range([r.get("server_cpu_s_per_million")
                                                      for r in rs], 2)
                            if tr == "plain":
                                base = cmed
                            bench_cpu = [r["bench_cpu_s"] / r["deliveries"] * 1e6
                                         for r in rs if r.get("deliveries")]
                            irq = [e["machine"]["irq_cpu_s"] / e["result"]["deliveries"] * 1e6
                                   for e in runs if e["result"].get("deliveries")
                                   and (e.get("machine") or {}).get("irq_cpu_s") is not None]
                            def per_k(key, runs=runs):
                                v = [e["machine"][key] / e["result"]["deliveries"] * 1e3
                                     for e in runs if e["result"].get("deliveries")
                                     and (e.get("machine") or {}).get(key) is not None]
                                return median_range(v, 1)[0]
                            rows.append([f"{rate:,}", s, tr, len(runs),
                                         median_range([r.get("latency_p50_ms") for r in rs], 2)[0],
                                         median_range([r.get("latency_p99_ms") for r in rs], 2)[0],
                                         cpu, ratio(cmed, base) if tr != "plain" else "1.00×",
                                         median_range(bench_cpu, 2)[0], median_range(irq, 2)[0],
                                         per_k("server_writes"), per_k("tcp_out_segs")])
                w(table(["msgs/s", "server", "transport", "runs", "p50 ms", "p99 ms",
                         "server CPU s per 10⁶ deliveries", "× plain",
                         "generator CPU s per 10⁶ deliveries",
                         "interrupts s per 10⁶ deliveries",
                         "server write calls per 10³ deliveries",
                         "TCP segments per 10³ deliveries"], rows))
                w("")
            w("<details><summary>Every step: p99 ms / lost deliveries / server CPU s per 10⁶ "
              "deliveries, per round († : the rest of the machine used half a core or more "
              "during the run)</summary>")
            w("")
            rates = args["fanout_rates"]
            srows = []
            for s in servers:
                for tr in transports:
                    if not es(s, tr, "fanout", fan):
                        continue
                    for rnd in rounds:
                        cells = []
                        for rate in rates:
                            x = [e for e in es(s, tr, "fanout", fan)
                                 if e["round"] == rnd and e["params"].get("rate") == rate]
                            if not x:
                                cells.append("")
                            elif not x[-1].get("result"):
                                cells.append("failed")
                            else:
                                r = x[-1]["result"]
                                o = others_cores(x[-1])
                                cells.append(f"{r['latency_p99_ms']:.1f} / {r['lost']} / "
                                             f"{fmt(r.get('server_cpu_s_per_million'), 2)}"
                                             + ("" if r.get("errors", 0) == 0
                                                else f" / {r['errors']} err")
                                             + (" †" if o is not None and o >= 0.5 else ""))
                        srows.append([s, tr, rnd, *cells])
            w(table(["server", "transport", "round", *[f"{r:,}/s" for r in rates]], srows))
            w("")
            w("</details>")
            w("")
            failures(w, [e for e in index if e["scenario"] == "fanout" and fan(e)
                         and not e.get("result")])

    if "handshakes" in args["scenarios"]:
        w("### Handshakes")
        w("")
        reg = args.get("handshake_register")
        w(f"`--concurrency` connections at a time for {args['handshake_duration']} s, each: TCP "
          "connect, TLS handshake (over plain TCP: none, the baseline; over WebSocket the HTTP "
          "upgrade follows, over TLS for wss), "
          + ("NICK/USER until 001, " if reg else "")
          + "QUIT, and read until the server closes. *Time* is from the connect until the "
          + ("001." if reg else "handshake is done on the client's side.")
          + " CPU per handshake is the CPU time of the whole run (/proc/PID/stat for the server, "
          "the generator's own) divided by the handshakes completed.")
        w("")
        rows = []
        groups = []
        for e in index:
            g = e["params"].get("tls_group", "default") if e["scenario"] == "handshakes" else None
            if g and g not in groups:
                groups.append(g)
        for s, tr, g in [(s, tr, g) for tr in transports for g in groups for s in servers]:
            if True:
                ofg = lambda e, g=g: e["params"].get("tls_group", "default") == g
                runs = es(s, tr, "handshakes", ofg)
                x = [e for e in runs if e.get("ok")]
                rs = [e["result"] for e in x]
                if not runs:
                    continue
                conc = sorted({e["params"].get("concurrency") for e in runs})
                srv = [r["server_cpu_s"] / r["cycles"] * 1e6 for r in rs
                       if r.get("server_cpu_s") is not None and r.get("cycles")]
                gen = [r["bench_cpu_s"] / r["cycles"] * 1e6 for r in rs if r.get("cycles")]
                tls = sorted({r.get("tls") for r in rs if r.get("tls")})
                offered = ("—" if tr not in ("tls", "wss") else
                           "rustls's default" if g == "default" else f"{g} only")
                rows.append([s, tr, offered, ",".join(map(str, conc)), f"{len(x)}/{len(runs)}",
                             median_range([r.get("per_second") for r in rs])[0],
                             median_range([r.get("latency_p50_ms") for r in rs], 2)[0],
                             median_range([r.get("latency_p99_ms") for r in rs], 2)[0],
                             median_range(srv, 0)[0], median_range(gen, 0)[0],
                             "; ".join(tls) or {"ws": "WebSocket"}.get(tr, "plain TCP")])
        w(table(["server", "transport", "groups offered", "concurrency", "runs ok",
                 "handshakes/s", "p50 ms",
                 "p99 ms", "server CPU µs per handshake", "generator CPU µs per handshake",
                 "negotiated"], rows))
        w("")
        failures(w, [e for e in index if e["scenario"] == "handshakes"])

    w("### Commands")
    w("")
    w("The whole run:")
    w("")
    w("```")
    w(meta["command"])
    w("```")
    w("")
    w("Each run (port, PID and paths differ per run):")
    w("")
    w("```")
    seen = {}
    for e in index:
        if e.get("command"):
            seen.setdefault(tls_template(e), []).append(e["server"])
    for cmd, who in seen.items():
        w(f"# {', '.join(sorted(set(who), key=TLS_SERVERS.index))}")
        w(cmd)
    w("```")
    w("")
    w(TLS_ANALYSIS)
    w("")
    analysis = existing_section(doc_path, TLS_HEADING, TLS_ANALYSIS)
    w(analysis if analysis else "_To be written: what these figures mean and what limits them._")
    w("")
    section = "\n".join(L)
    try:
        text = doc_path.read_text()
    except OSError:
        text = ""
    if TLS_HEADING + "\n" in text:
        head, rest = text.split(TLS_HEADING + "\n", 1)
        tail = re.split(r"(?=\n## )", rest, maxsplit=1)
        after = tail[1].lstrip("\n") if len(tail) > 1 else ""
        text = head + section + ("\n" + after if after else "")
    elif PROFILE_HEADING + "\n" in text:
        head, rest = text.split(PROFILE_HEADING + "\n", 1)
        text = head + section + "\n" + PROFILE_HEADING + "\n" + rest
    elif text:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        text = "# Performance: natter over TLS\n\n" + section
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_text(text)
    log(f"wrote the {TLS_HEADING[3:]} section of {doc_path}")


# ---------------------------------------------------------------------------


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

"""Constants and helpers every part of the comparison shares: the servers
and scenarios, where the foreign servers come from, what each benchmark
configuration turns off (SETTINGS_NOTES, which goes into the report), and
log/die/run.

Imports nothing of the package; everything else imports it."""

import shlex
import subprocess
import sys
import time
from pathlib import Path

# The repository: this file is bench/comparison/common.py.
REPO = Path(__file__).resolve().parent.parent.parent
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

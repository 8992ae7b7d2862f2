"""The servers under test: a configuration writer per server (WRITERS), the
stub resolver ircd-hybrid's reverse lookups go to, the port allocator, and
`Server`, which starts one server as the unprivileged user, waits for it to
accept a registration, reads its listen backlog and stops it by PID.

Used by runs.py (one fresh server per `natter bench` run) and compare.py
(the start-up check)."""

import os
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time
from pathlib import Path

from .common import MOTD, PACKAGES, WS_SERVERS, die, log


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

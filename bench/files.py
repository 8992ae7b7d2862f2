#!/usr/bin/env python3
"""Shared files' throughput on loopback (issue 14, docs/files.md): natter's
HTTP upload and download with curl, against Debian's nginx serving and
taking the same file (the reference: a plain file server), and natter's IM
protocol transfer (FILE_WRITE / FILE_READ chunks by offset).

Usage (from anywhere in the repository):

    python3 bench/files.py --quick     # 64 MiB, one round: try it out
    python3 bench/files.py             # 1 GiB, three interleaved rounds

What it does:

1. Builds natter in release (`cargo build --release -p natter`) unless
   --no-build or --natter PATH.
2. Writes a file of random bytes (--size MiB) into a temporary directory.
3. Starts natter (HTTP and IM listeners on free loopback ports, file limits
   raised to fit, the benchmark's address range exempt from the connection
   limits) and makes an account through the IM protocol; starts nginx
   (`nginx -c` with its own configuration: the temporary directory as root,
   WebDAV PUT on) on another free port.
4. Each round, in this order: natter HTTP upload (`curl -u ... -X POST -T
   file`), natter HTTP download (`curl -u ... -o /dev/null`), nginx PUT,
   nginx GET, natter IM upload and IM download (a client in this script,
   16 chunks in flight). Each transfer's MB/s is from its wall time (curl's
   own `time_total` for curl), and the server's CPU time over it (user +
   system, from /proc; nginx's workers) is reported per MiB moved. The IM
   client is Python (base64 and JSON for every 6 KiB chunk): its own cost
   caps the IM figures, and the server CPU column shows the server's share.
5. Prints median and range per transfer, with the commands, and keeps the
   raw figures in bench/results/files-<timestamp>.json (git ignores it).

Every process it starts is stopped by its PID, on success, on failure and
on Ctrl-C. Loopback only. Python 3.9+ standard library only; needs curl and
nginx (`apt-get install curl nginx`).
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = ("bench", "bench-files-secret")
CHUNK = 6144
WINDOW = 16
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICK


def nginx_pids(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [master] + [int(p) for p in out.stdout.split()]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port}")


class Im:
    """A blocking IM protocol client (docs/im-protocol.md)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.file = self.sock.makefile("rb")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def reply(self, wanted=("OK", "NOT_OK")):
        while True:
            line = self.file.readline().decode()
            if not line:
                sys.exit("IM connection closed")
            command, _, arg = line.rstrip("\n").partition(" ")
            if command in wanted:
                return command, json.loads(arg)

    def register(self):
        self.send(f'REGISTER ["{ACCOUNT[0]}", "online", "{ACCOUNT[1]}"]')
        self.reply(("ONLINE_USERS",))

    def conversation(self):
        self.send(f'INVITE ["{ACCOUNT[0]}"]')
        _, (conv, _) = self.reply(("INVITATION",))
        self.send(f"JOIN [{conv}]")
        return conv

    def upload(self, path, size, digest, conv):
        self.send(json_line("FILE_OPEN", [conv, f"im-{time.time_ns()}", size, digest]))
        kind, (_, detail) = self.reply()
        if kind != "OK":
            sys.exit(f"FILE_OPEN refused: {detail}")
        fid = detail["id"]
        with open(path, "rb") as f:
            offset, in_flight = 0, 0
            while offset < size or in_flight:
                while offset < size and in_flight < WINDOW:
                    data = f.read(CHUNK)
                    self.send(json_line("FILE_WRITE", [fid, offset, base64.b64encode(data).decode()]))
                    offset += len(data)
                    in_flight += 1
                kind, (_, detail) = self.reply()
                if kind != "OK":
                    sys.exit(f"FILE_WRITE refused: {detail}")
                in_flight -= 1
        return fid

    def download(self, fid, size):
        offset, asked, in_flight = 0, 0, 0
        h = hashlib.sha256()
        while offset < size:
            while asked < size and in_flight < WINDOW:
                self.send(json_line("FILE_READ", [fid, asked, CHUNK]))
                asked += CHUNK
                in_flight += 1
            _, (_, detail) = self.reply()
            data = base64.b64decode(detail["data"])
            h.update(data)
            offset += len(data)
            in_flight -= 1
        while in_flight:
            self.reply()
            in_flight -= 1
        return h.hexdigest()


def json_line(command, arg):
    return f"{command} {json.dumps(arg, separators=(',', ':'))}"


def curl(args):
    out = subprocess.run(
        ["curl", "-sS", "-f", "-w", "%{time_total}", "-o", "/dev/null", *args],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        sys.exit(f"curl {' '.join(args)}: {out.stderr.strip()}")
    return float(out.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="64 MiB, one round")
    ap.add_argument("--size", type=int, default=1024, help="MiB (default 1024)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--natter", help="a natter binary (default: build release)")
    ap.add_argument("--no-build", action="store_true")
    opts = ap.parse_args()
    if opts.quick:
        opts.size, opts.rounds = 64, 1
    natter = Path(opts.natter) if opts.natter else REPO / "target/release/natter"
    if not opts.natter and not opts.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "natter"], cwd=REPO, check=True)
    size = opts.size << 20
    work = Path(tempfile.mkdtemp(prefix="natter-files-bench-"))
    path = work / "blob.bin"
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(opts.size):
            piece = os.urandom(1 << 20)
            digest.update(piece)
            f.write(piece)
    digest = digest.hexdigest()

    http, im = free_port(), free_port()
    config = work / "natter.toml"
    config.write_text(f"""
[server]
data_dir = "{work / 'data'}"
threads = 2
[listen]
irc = ["127.0.0.1:{free_port()}"]
im = ["127.0.0.1:{im}"]
http = ["127.0.0.1:{http}"]
irc_tls = []
metrics = []
[files]
max_size = {size}
quota = {16 * size}
[connections]
# The benchmark's own address range: exempt from the per-address limits.
exempt = ["127.0.0.0/8"]
""")
    nginx_port = free_port()
    (work / "www").mkdir()
    (work / "www" / "blob.bin").symlink_to(path)
    nginx_conf = work / "nginx.conf"
    # Run as root (as here), nginx's workers would be another user, who
    # cannot read the private temporary directory.
    user = "user root;" if os.geteuid() == 0 else ""
    nginx_conf.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    client_max_body_size 0;
    client_body_temp_path {work}/nginx-body;
    server {{
        listen 127.0.0.1:{nginx_port};
        root {work}/www;
        location /up/ {{ dav_methods PUT; create_full_put_path on; }}
    }}
}}
""")
    procs = []
    try:
        server = subprocess.Popen(
            [str(natter), "serve", "--config", str(config)],
            stdout=open(work / "natter.log", "w"),
            stderr=subprocess.STDOUT,
        )
        procs.append(server)
        ngx = subprocess.Popen(["nginx", "-c", str(nginx_conf), "-p", str(work)])
        procs.append(ngx)
        wait_port(http)
        wait_port(nginx_port)
        client = Im(im)
        client.register()
        conv = client.conversation()
        auth = f"{ACCOUNT[0]}:{ACCOUNT[1]}"
        results = {k: [] for k in ["natter HTTP upload", "natter HTTP download", "nginx PUT", "nginx GET", "natter IM upload", "natter IM download"]}

        def measure(name, pids, run):
            cpu0 = cpu_seconds(pids)
            t0 = time.monotonic()
            wall = run()
            wall = wall if wall is not None else time.monotonic() - t0
            cpu = cpu_seconds(pids) - cpu0
            results[name].append({"mib_s": size / (1 << 20) / wall, "server_cpu_ms_per_mib": 1000 * cpu / (size >> 20)})

        for r in range(opts.rounds):
            print(f"round {r + 1}/{opts.rounds}", flush=True)
            urls = []

            def upload(r=r):
                out = subprocess.run(
                    # -T streams the file (--data-binary would read it
                    # into memory first).
                    ["curl", "-sS", "-f", "-u", auth, "-X", "POST", "-T", str(path),
                     "-H", f'Content-Disposition: attachment; filename="round{r}.bin"',
                     "-w", "\n%{time_total}", f"http://127.0.0.1:{http}/files"],
                    capture_output=True, text=True)
                if out.returncode:
                    sys.exit(f"upload failed: {out.stderr}")
                body, took = out.stdout.rsplit("\n", 1)
                urls.append(body.strip())
                return float(took)

            measure("natter HTTP upload", [server.pid], upload)
            url = urls[0]
            measure("natter HTTP download", [server.pid], lambda: curl(["-u", auth, url]))
            measure("nginx PUT", nginx_pids(ngx.pid), lambda: curl(["-T", str(path), f"http://127.0.0.1:{nginx_port}/up/round{r}.bin"]))
            measure("nginx GET", nginx_pids(ngx.pid), lambda: curl([f"http://127.0.0.1:{nginx_port}/blob.bin"]))
            fid = [None]
            measure("natter IM upload", [server.pid], lambda: fid.__setitem__(0, client.upload(path, size, digest, conv)))
            got = [None]
            measure("natter IM download", [server.pid], lambda: got.__setitem__(0, client.download(fid[0], size)))
            if got[0] != digest:
                sys.exit("the IM download's SHA-256 differs")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["rm", "-rf", str(work)])
    print(f"\n{opts.size} MiB, {opts.rounds} round(s), loopback; natter {natter}")
    print(f"{'transfer':24} {'MiB/s median':>13} {'range':>17} {'server CPU ms/MiB':>18}")
    for name, runs in results.items():
        speeds = [x["mib_s"] for x in runs]
        cpus = [x["server_cpu_ms_per_mib"] for x in runs if x["server_cpu_ms_per_mib"] is not None]
        cpu = f"{statistics.median(cpus):.2f}" if cpus else "-"
        print(f"{name:24} {statistics.median(speeds):13.0f} {min(speeds):8.0f}-{max(speeds):<8.0f} {cpu:>18}")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"files-{stamp}.json").write_text(json.dumps({"size_mib": opts.size, "results": results}, indent=1))


if __name__ == "__main__":
    main()

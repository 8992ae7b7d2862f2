"""The runs: `Runner` plays the rounds, interleaving the servers, one
`natter bench` invocation per scenario step with a freshly started server,
and records each in index.json; `describe` is a run's one-line summary.

Used by compare.py; writes only under the results directory."""

import json
import shlex
import shutil
import subprocess
import time

from .common import RELAY_SCENARIOS, WS_SERVERS, log
from .machine import irq_cores, machine_load, machine_sample, others_cores
from .servers import Ports, Server
from .tables import fmt, sustained


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

    def fanout_sweep(self, rnd, name, transport=None):
        """The fan-out into each --fanout-members channel at each offered
        rate in turn, stopping a channel's sweep at the first rate not
        sustained. `transport` (the --tls comparison's) goes into the run's
        tag; None is the plain comparison's plain TCP."""
        a = self.args
        infix = f"-{transport}" if transport else ""
        for m in a.fanout_members:
            for rate in a.fanout_rates:
                e = self.bench(rnd, name, "fanout", f"fanout-m{m}{infix}-r{rate}",
                               {"members": m, "senders": a.fanout_senders,
                                "rate": rate, "duration": a.fanout_duration,
                                "size": a.fanout_size,
                                "concurrency": a.setup_concurrency},
                               setup_param="concurrency", transport=transport or "plain")
                if not sustained(e, a.p99_ms):
                    break

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
                    self.fanout_sweep(rnd, name, transport)
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
                    self.fanout_sweep(rnd, name)
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

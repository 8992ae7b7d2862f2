"""The machine around each run: /proc/stat samples before and after, the
CPU that other processes, interrupts and the generator used meanwhile, and
the machine's description for the report.

Read by runs.py (to record each run) and by the reports (to show how busy
the machine was)."""

import os
import platform
import resource
import time
from pathlib import Path


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

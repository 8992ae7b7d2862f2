"""What the comparison needs on the machine: the three servers from Debian
(installed, or unpacked under /var/cache/natter-bench when their packages
conflict), their system services stopped, natter built in release, the TLS
certificate of `--tls`, and the versions the report names.

Used by compare.py before any run; nothing here starts a server."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from .common import CACHE, PACKAGES, REPO, SERVICES, die, log, run


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

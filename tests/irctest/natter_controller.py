"""irctest controller for natter.

irctest (https://github.com/progval/irctest) drives IRC servers through
"controllers": a module with a ``get_irctest_controller_class()`` function
returning a class that writes the server's configuration into a temporary
directory, starts the server there and stops it again. This is natter's.

It is loaded by module path, so irctest needs no change:

    cd /path/to/irctest
    PATH=/path/to/natter/target/release:$PATH \\
    PYTHONPATH=/path/to/natter \\
    python3 -m pytest --controller tests.irctest.natter_controller \\
        -m 'not Ergo and not Sable and not deprecated and not strict'

(``PYTHONPATH=/path/to/natter/tests/irctest`` with ``--controller
natter_controller`` works as well.)

The ``natter`` binary is looked up on PATH. Set IRCTEST_DEBUG_LOGS=1 to see
natter's log (NATTER_LOG=debug) interleaved with the test output.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import shutil
import subprocess
import time
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.patma import ANYSTR
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

#: Name and password of the operator block irctest's OPER tests use.
OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"


#: Tests whose premise natter does not share, by pytest node id prefix, with
#: the reason (docs/conformance.md lists them). They are skipped, not run
#: against a stand-in.
PREMISE_NOT_SHARED = {
    "irctest/server_tests/read_marker.py::ReadMarkerServiceTestCase::": (
        "Ergo's multiclient and always-on (several connections sharing one "
        "nick, kept in channels while disconnected); natter has neither"
    ),
    "irctest/server_tests/links.py::ServicesLinksTestCase::": (
        "services on a separate linked server; natter's NickServ is a user "
        "of the server itself"
    ),
}


def _premise_not_shared() -> Optional[str]:
    """The reason the running test's premise does not hold for natter."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    for prefix, reason in PREMISE_NOT_SHARED.items():
        if current.startswith(prefix):
            return reason
    return None


def _natter_binary() -> str:
    path = shutil.which("natter")
    if path is None:
        raise RuntimeError(
            "natter controller: no `natter` binary on PATH (build it with "
            "`cargo build --release -p natter` and add target/release to PATH)"
        )
    return path


@functools.lru_cache(maxsize=None)
def _hash_password(password: str) -> str:
    """The argon2 hash `natter passwd` makes of ``password`` (cached: the
    oper password is the same for every test)."""
    out = subprocess.run(
        [_natter_binary(), "passwd"],
        input=password + "\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        timeout=60,
    )
    digest = out.stdout.strip()
    if not digest.startswith("$argon2"):
        raise RuntimeError(f"natter passwd printed no argon2 hash: {out.stdout!r}")
    return digest


def _toml_str(value: str) -> str:
    """``value`` as a TOML basic string."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _listen_addr(hostname: str, port: int) -> str:
    """The ``ip:port`` natter should listen on for irctest's ``hostname``.

    irctest hands out ``0.0.0.0`` (the address it bound to find a free
    port); clients connecting to it reach the loopback interface, so natter
    only ever listens on loopback."""
    try:
        ip = ipaddress.ip_address(hostname)
    except ValueError:
        ip = ipaddress.ip_address("127.0.0.1")  # "localhost" and the like
    if ip.is_unspecified or not ip.is_loopback:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    if ip.version == 6:
        return f"[{ip}]:{port}"
    return f"{ip}:{port}"


class NatterController(BaseServerController, DirectoryBasedController):
    software_name = "natter"
    supports_sts = False
    # Built-in SASL (IRCv3 sasl-3.2) against natter's own accounts.
    supported_sasl_mechanisms: Set[str] = {"PLAIN", "SCRAM-SHA-256"}
    # The mute extban: `MODE #chan +b m:nick!user@host` (ISUPPORT EXTBAN=,am;
    # `a:` is the account extban).
    extban_mute_char = "m"
    # irctest synchronizes by sending PING on the client it reads from and
    # taking everything before the PONG; it assumes a line another client
    # sent just before was handled first. natter handles connections
    # concurrently (one event loop per core), and a WebSocket client's
    # lines cross a Unix socket pair from the WebSocket bridge to its
    # connection task (crates/natter-server/src/http/websocket.rs), one
    # more poll than a TCP client's: a TCP PING sent right after a
    # WebSocket PRIVMSG could be answered first, and websocket.py's tests
    # then failed in about 1 run of 5. No IRC server orders lines across
    # connections; 2 ms before each read lets the other line land.
    sync_sleep_time = 0.002

    # The capabilities natter offers that irctest knows (natter's CAP LS
    # also has cap-notify, chghost, invite-notify and userhost-in-names).
    # Listing one here makes a CAP NAK for it a failure instead of a skip.
    capabilities = frozenset(
        [
            Capabilities.ACCOUNT_NOTIFY,
            Capabilities.ACCOUNT_TAG,
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.EXTENDED_MONITOR,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.READ_MARKER,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        ]
    )

    # Behaviours natter implements: irctest fails (rather than skips) a test
    # that finds them missing.
    optional_behaviors = frozenset(
        [
            OptionalBehaviors.BAN_EXCEPTION_MODE,
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.ELIST_C,
            OptionalBehaviors.ELIST_M,
            OptionalBehaviors.ELIST_N,
            OptionalBehaviors.ELIST_T,
            OptionalBehaviors.ELIST_U,
            OptionalBehaviors.INVITE_EXCEPTION_MODE,
            OptionalBehaviors.INVITE_LIST,
            OptionalBehaviors.INVITE_OVERRIDES_LIMIT,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
            OptionalBehaviors.NO_CTCP,
        ]
    )

    # ISUPPORT values isupport.py's testValues checks. irctest has no tests
    # of its own for KNOCK or SILENCE; listing their tokens here at least
    # makes testValues check that natter advertises them.
    isupport = {
        "BOT": "B",
        "CASEMAPPING": "rfc1459",
        "CHANMODES": "beI,k,l,CMRUimnst",
        "CHANTYPES": "#&",
        "CHATHISTORY": "1000",
        "ELIST": "CMNTU",
        "EXCEPTS": "e",
        "ACCOUNTEXTBAN": "a",
        "EXTBAN": ",am",
        "INVEX": "I",
        "KNOCK": None,
        "MONITOR": ANYSTR,
        "MSGREFTYPES": "msgid,timestamp",
        "PREFIX": "(ov)@+",
        "SILENCE": "32",
        "STATUSMSG": "@+",
        "TARGMAX": ANYSTR,
        "UTF8ONLY": None,
        "WHOX": None,
    }

    def create_config(self) -> None:
        super().create_config()
        with self.open_file("natter.toml"):
            pass

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,  # natter's NickServ is built in: always there
        faketime: Optional[str] = None,
        websocket_hostname: Optional[str] = None,
        websocket_port: Optional[int] = None,
    ) -> None:
        # Refuse what natter cannot do before starting anything, so the test
        # is skipped cleanly. A skip in setUp means no tearDown: give back
        # the ports irctest reserved for this test ourselves.
        missing: Optional[str] = None
        if ssl:
            missing = "TLS"
        elif self.test_config.account_registration_requires_email:
            missing = "e-mail verification of new accounts"
        elif _premise_not_shared() is not None:
            missing = _premise_not_shared()
        if missing is not None:
            self.kill()
            raise NotImplementedByController(missing)
        assert self.proc is None

        natter = _natter_binary()
        self.hostname = hostname
        self.port = port
        self.create_config()
        assert self.directory

        lines = [
            "[server]",
            'name = "My.Little.Server"',
            'network = "testnet"',
            'description = "test server"',
            f"data_dir = {_toml_str(str(self.directory / 'data'))}",
        ]
        if password is not None:
            lines.append(f"password = {_toml_str(password)}")
        lines += [
            "",
            "[listen]",
            f"irc = [{_toml_str(_listen_addr(hostname, port))}]",
            # No IM front end, no IRC over TLS, no metrics: their defaults
            # are fixed ports (6666, 6697, 9667) that parallel runs, or a
            # developer's own natter, would fight over.
            "im = []",
            "irc_tls = []",
            "metrics = []",
        ]
        if websocket_port is not None:
            # IRC over WebSocket (irctest's websocket.py connects to
            # ws://host:port/, any path will do). Its client sends no
            # Origin; "*" lets a browser-like one in as well.
            ws_addr = _listen_addr(websocket_hostname or "127.0.0.1", websocket_port)
            lines += [
                f"http = [{_toml_str(ws_addr)}]",
                "",
                "[http]",
                'allowed_origins = ["*"]',
            ]
        else:
            # The HTTP listener's default is a fixed port (8080), as above.
            lines.append("http = []")
        lines += [
            "",
            "[accounts]",
            # irctest's passwords are short ("sesame").
            "min_password_length = 1",
            # As Ergo's default: no NickServ warnings in the tests' traffic.
            "enforce_nicks = false",
            "register_before_connect = "
            + ("true" if self.test_config.account_registration_before_connect else "false"),
            "",
            "[privacy]",
            # Cloaking is on by default; irctest's clients and its expected
            # replies (WHO/WHOX host and IP fields, USERHOST, sources) are
            # written for the address they connect from, as docs/
            # conformance.md's runs were. natter's own tests/cloak.rs
            # covers cloaks.
            "cloak = false",
            "",
            "[limits]",
            "nicklen = 32",
            "channellen = 64",
            "channels_per_user = 100",
            "max_bans = 100",
            "max_targets = 10",
            "sendq = 4194304",
            "",
            # irctest connects many clients from 127.0.0.1 and some tests
            # send quickly on purpose: no flood control and no per-address
            # connection limits (natter's defaults have both on).
            "[connections]",
            "per_host = 0",
            "per_window = 0",
            "",
            "[[class]]",
            'name = "irctest"',
            'hosts = ["*"]',
            "exempt = true",
            "",
            "[timeouts]",
            # Short, so a test that leaves a connection hanging does not
            # keep it for long; longer than any test's pauses.
            "registration = 10",
            "ping_interval = 60",
            "ping_timeout = 30",
            "",
            "[admin]",
            'location = "irctest"',
            'description = "natter under irctest"',
            'email = "admin@example.org"',
            "",
            "[[oper]]",
            f"name = {_toml_str(OPER_NAME)}",
            f"password = {_toml_str(_hash_password(OPER_PASSWORD))}",
            'host = "*@*"',
            "",
        ]
        config_path = self.directory / "natter.toml"
        with self.open_file("natter.toml", "w") as fd:
            fd.write("\n".join(lines))

        if faketime and shutil.which("faketime"):
            faketime_cmd = ["faketime", "-f", faketime]
            self.faketime_enabled = True
        else:
            faketime_cmd = []

        env = dict(os.environ)
        env.setdefault("NATTER_LOG", "debug" if self.debug_mode else "warn")
        self.proc = self.execute(
            [*faketime_cmd, natter, "serve", "--config", config_path],
            proc_name="natter",
            env=env,
        )
        # Return once natter accepts clients (irctest's own check, which
        # also QUITs its probe connection so it does not linger in LUSERS).
        self.wait_for_port()


    def kill_proc(self) -> None:
        """Stops natter, then waits until no natter process of this test's
        directory is left: under faketime the process irctest waits for is
        faketime's, and natter may still be closing its database (SQLite
        removes `natter.db-wal` and `-shm` last) when irctest deletes the
        directory."""
        super().kill_proc()
        if not self.directory:
            return
        pattern = str(self.directory / "natter.toml")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = subprocess.run(["pgrep", "-f", pattern], stdout=subprocess.DEVNULL)
            if found.returncode != 0:
                return
            time.sleep(0.05)

    def wait_for_services(self) -> None:
        # NickServ is part of natter: up as soon as natter accepts clients.
        pass

    def registerUser(
        self,
        case,  # irctest.cases.BaseServerTestCase
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """Registers ``username`` with natter's NickServ, as a user would
        (Ergo's controller does the same with its NickServ)."""
        assert password, "natter accounts need a password"
        if len(password) > 300:
            # NS REGISTER with it would not fit IRC's 512-byte line.
            raise NotImplementedByController("passwords over 300 bytes")
        client = case.addClient(show_io=False)
        case.sendLine(client, "CAP LS 302")
        case.sendLine(client, "NICK " + username)
        case.sendLine(client, "USER r e g :user")
        case.sendLine(client, "CAP END")
        while case.getRegistrationMessage(client).command != "001":
            pass
        case.getMessages(client)
        case.sendLine(client, "NS REGISTER " + password)
        msg = case.getMessage(client)
        assert msg.params == [username, "Account created"], msg
        case.sendLine(client, "QUIT")
        case.assertDisconnected(client)


def get_irctest_controller_class() -> Type[NatterController]:
    return NatterController

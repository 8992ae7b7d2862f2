// Shared pieces of the web client's end-to-end tests: a real `natter serve`
// on ephemeral loopback ports, a tiny IRC client over TCP, and Chromium
// (Debian's, driven by playwright-core) logged in through the web client.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

export const NATTER_BIN = process.env.NATTER_BIN || '';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Why the tests cannot run here, or '' when they can. */
export const SKIP = !NATTER_BIN ? 'NATTER_BIN is not set (the path of a natter binary)' : !fs.existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : '';

/** Polls `fn` until it returns a truthy value; throws after `timeout` ms. */
export async function waitFor(fn, what, timeout = 20000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await sleep(50);
  }
}

// --- natter ---------------------------------------------------------------

const LINES = {
  irc: /^natter: IRC listening on (\S+)$/,
  im: /^natter: IM listening on (\S+)$/,
  tls: /^natter: IRC over TLS listening on (\S+)/,
  http: /^natter: web client at http:\/\/(\S+?)\/$/,
  metrics: /^natter: metrics at http:\/\/(\S+?)\/metrics$/,
};

/**
 * Starts `natter serve` on ephemeral ports (or the addresses of an earlier
 * run, `addrs`) with `dataDir`; resolves once it has printed every
 * listener. `config` is added to the test configuration (TOML). Returns
 * {proc, addrs, ircPort, url, stop()}.
 */
/**
 * A configuration with no flood control and no per-address limits, and
 * real addresses instead of cloaks (the tests check WHOIS against
 * 127.0.0.1, as the Rust harness does).
 */
const UNPROTECTED = `[privacy]
cloak = false

[connections]
per_host = 0
per_window = 0

[[class]]
name = "web-tests"
hosts = ["*"]
exempt = true
`;

export async function startNatter({ dataDir = null, addrs = null, config: extra = '' } = {}) {
  dataDir = dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'natter-web-'));
  const a = addrs || { irc: '127.0.0.1:0', im: '127.0.0.1:0', tls: '127.0.0.1:0', http: '127.0.0.1:0', metrics: '127.0.0.1:0' };
  // The tests connect several clients from 127.0.0.1 and send 120 lines at
  // once: flood control and the per-address limits (on by default) are off.
  // So is host cloaking, as in the Rust tests' harness.
  const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'natter-web-conf-')), 'natter.toml');
  fs.writeFileSync(config, UNPROTECTED + extra);
  const args = ['serve', '--config', config, '--listen', a.irc, '--im-listen', a.im, '--tls-listen', a.tls, '--http-listen', a.http, '--metrics-listen', a.metrics, '--data-dir', dataDir];
  const proc = spawn(NATTER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  const found = {};
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    const timer = setTimeout(() => reject(new Error(`natter did not start:\n${stderr}`)), 30000);
    rl.on('line', (line) => {
      for (const [k, re] of Object.entries(LINES)) {
        const m = re.exec(line);
        if (m) found[k] = m[1];
      }
      if (Object.keys(LINES).every((k) => found[k])) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`natter exited (${code}) before it listened:\n${stderr}`));
    });
  });
  const server = {
    proc,
    dataDir,
    addrs: found,
    ircPort: Number(found.irc.split(':').pop()),
    url: `http://${found.http}/`,
    stderr: () => stderr,
    /** Stops natter by its PID (SIGTERM, then SIGKILL) and waits for it. */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      process.kill(proc.pid, 'SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
  return server;
}

// --- A raw IRC client over TCP ---------------------------------------------

/** Parses an IRC line into {prefix, nick, command, params}. */
function parse(line) {
  let rest = line;
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1);
  let prefix = '';
  if (rest.startsWith(':')) {
    prefix = rest.slice(1, rest.indexOf(' '));
    rest = rest.slice(rest.indexOf(' ') + 1);
  }
  const colon = rest.indexOf(' :');
  const trailing = colon >= 0 ? rest.slice(colon + 2) : null;
  const params = (colon >= 0 ? rest.slice(0, colon) : rest).split(' ').filter(Boolean);
  const command = params.shift().toUpperCase();
  if (trailing !== null) params.push(trailing);
  return { line, prefix, nick: prefix.split('!')[0], command, params };
}

export class IrcClient {
  static async connect(port, nick) {
    const c = new IrcClient(port, nick);
    await new Promise((resolve, reject) => {
      c.sock.once('connect', resolve);
      c.sock.once('error', reject);
    });
    c.send(`NICK ${nick}`);
    c.send(`USER ${nick} 0 * :${nick} over TCP`);
    await c.expect((m) => m.command === '001', 'welcome');
    return c;
  }

  constructor(port, nick) {
    this.nick = nick;
    this.messages = [];
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setEncoding('utf8');
    let buf = '';
    this.sock.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (!line) continue;
        const m = parse(line);
        if (m.command === 'PING') this.send(`PONG :${m.params[0] || ''}`);
        this.messages.push(m);
      }
    });
    this.sock.on('error', () => {});
  }

  send(line) {
    this.sock.write(line + '\r\n');
  }

  /** Waits for (and returns) the first message since `from` matching `pred`. */
  async expect(pred, what, { from = 0, timeout = 20000 } = {}) {
    return waitFor(() => this.messages.slice(from).find(pred), `${this.nick} to get ${what}`, timeout);
  }

  /** Sends a line and waits for its effect. */
  async sendAndExpect(line, pred, what) {
    const from = this.messages.length;
    this.send(line);
    return this.expect(pred, what, { from });
  }

  close() {
    this.sock.destroy();
  }
}

// --- The browser -----------------------------------------------------------

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/**
 * A web client user: a fresh browser context on the natter page, logged
 * in as `nick` and joined to `channels`. Records dialogs and page errors.
 */
export async function openUser(browser, url, nick, {
  channels = '#natter', password = '', viewport = { width: 1280, height: 800 }, colorScheme = 'light',
  permissions = [], initScript = null, expectError = false,
} = {}) {
  const context = await browser.newContext({ viewport, colorScheme, permissions });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const user = { nick, context, page, dialogs: [], errors: [], console: [] };
  page.on('dialog', (d) => {
    user.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => user.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') user.console.push(m.text());
  });
  await page.goto(url);
  await page.fill('#nick', nick);
  await page.fill('#channels', channels);
  await page.fill('#password', password);
  await page.click('#connect-form button[type=submit]');
  if (expectError) {
    await page.waitForSelector('#connect-error:not([hidden])', { timeout: 20000 });
    return user;
  }
  await page.waitForSelector('body[data-connection="registered"]', { timeout: 20000 });
  const first = channels.split(/[\s,]+/).filter(Boolean)[0];
  if (first) await page.waitForSelector(`#buffers li.active[data-name="${first}"]`, { timeout: 20000 });
  return user;
}

/** Types a line into the composer and sends it. */
export async function say(user, text) {
  await user.page.fill('#input', text);
  await user.page.press('#input', 'Enter');
}

/** Switches the user's view to buffer `name`. */
export async function show(user, name) {
  await user.page.click(`#buffers li[data-name="${name}"] .buffer-button`);
  await user.page.waitForSelector(`#buffers li.active[data-name="${name}"]`);
}

/** The visible message list's entries as {kind, text, nick, highlight}. */
export async function entries(user) {
  return user.page.$$eval('#messages .msg', (rows) => rows.map((r) => ({
    kind: r.dataset.kind,
    text: r.querySelector('.body').textContent,
    nick: r.querySelector('.sender') ? r.querySelector('.sender').textContent : null,
    highlight: r.classList.contains('highlight'),
  })));
}

/** Waits until the shown buffer has an entry whose text contains `text`. */
export async function waitForEntry(user, text, { kind = null, timeout = 20000 } = {}) {
  try {
    return await waitFor(async () => (await entries(user)).find((e) => e.text.includes(text) && (!kind || e.kind === kind)), `${user.nick} to see "${text}"`, timeout);
  } catch (e) {
    const seen = (await entries(user).catch(() => [])).slice(-8).map((x) => `  [${x.kind}] ${x.text}`).join('\n');
    throw new Error(`${e.message}; the last entries shown:\n${seen}`);
  }
}

/** Nicks in the member list, with their prefixes ("@carol"). */
export async function members(user) {
  return user.page.$$eval('#members li', (lis) => lis.map((li) => li.textContent.trim()));
}

// --- Pictures -------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG (8-bit RGB) of `width` by `height` pixels, each `pixel(x, y)`
 * as [r, g, b]: pictures to share, made on the spot. */
export function makePng(width, height, pixel) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(pixel(x, y).map((v) => Math.max(0, Math.min(255, Math.round(v)))), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Drops `files` ([{name, type, data: Buffer}]) on the user's chat the way
 * a file manager would: dragenter, dragover and drop events whose
 * DataTransfer holds them, made in the page.
 */
export async function dropFiles(user, files) {
  const list = files.map((f) => ({ name: f.name, type: f.type, data: [...f.data] }));
  await user.page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const f of items) dt.items.add(new File([new Uint8Array(f.data)], f.name, { type: f.type }));
    const target = document.getElementById('messages');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, list);
}

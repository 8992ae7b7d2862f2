// IRC protocol for the natter web client: message parsing and
// serialisation, casemapping, mIRC formatting, and a connection over
// WebSocket (IRCv3 websocket, subprotocol text.ircv3.net) that negotiates
// capabilities and SASL, handles PING, groups BATCHes and reconnects with
// exponential back-off. No DOM here.

// --- Messages -------------------------------------------------------------

const TAG_UNESCAPE = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTag(value) {
  return value.replace(/\\(.?)/g, (_, c) => (c in TAG_UNESCAPE ? TAG_UNESCAPE[c] : c));
}

function escapeTag(value) {
  return String(value).replace(/[\\; \r\n]/g, (c) => ({ '\\': '\\\\', ';': '\\:', ' ': '\\s', '\r': '\\r', '\n': '\\n' })[c]);
}

/** Splits `nick!user@host` (or a server name) into its parts. */
export function parsePrefix(text) {
  const bang = text.indexOf('!');
  const at = text.indexOf('@');
  if (bang < 0 && at < 0) return { name: text, user: null, host: null };
  const nameEnd = bang >= 0 ? bang : at;
  return {
    name: text.slice(0, nameEnd),
    user: bang >= 0 ? text.slice(bang + 1, at >= 0 ? at : undefined) : null,
    host: at >= 0 ? text.slice(at + 1) : null,
  };
}

/** Parses one IRC line (no CRLF) into {tags, prefix, command, params}. */
export function parseMessage(line) {
  let rest = line;
  const tags = {};
  if (rest.startsWith('@')) {
    const sp = rest.indexOf(' ');
    for (const item of rest.slice(1, sp < 0 ? undefined : sp).split(';')) {
      if (!item) continue;
      const eq = item.indexOf('=');
      if (eq < 0) tags[item] = '';
      else tags[item.slice(0, eq)] = unescapeTag(item.slice(eq + 1));
    }
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
  }
  let prefix = null;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    prefix = parsePrefix(rest.slice(1, sp < 0 ? undefined : sp));
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
  }
  const params = [];
  let command = '';
  while (rest.length) {
    if (command && rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(' ');
    const word = sp < 0 ? rest : rest.slice(0, sp);
    if (!command) command = word.toUpperCase();
    else params.push(word);
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
  }
  return { tags, prefix, command, params };
}

/** Builds one IRC line from a command, its parameters and optional tags. */
export function formatMessage(command, params = [], tags = null) {
  let line = '';
  if (tags && Object.keys(tags).length) {
    line = '@' + Object.entries(tags).map(([k, v]) => (v === '' || v == null ? k : `${k}=${escapeTag(v)}`)).join(';') + ' ';
  }
  line += command;
  params.forEach((p, i) => {
    p = String(p).replace(/[\r\n\0]/g, ' ');
    const last = i === params.length - 1;
    if (last && (p === '' || p.includes(' ') || p.startsWith(':'))) line += ' :' + p;
    else line += ' ' + p;
  });
  return line;
}

// --- Casemapping ----------------------------------------------------------

/** Lower-cases a name under the server's CASEMAPPING (rfc1459 by default). */
export function casefold(name, mapping = 'rfc1459') {
  let out = name.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (mapping === 'ascii') return out;
  out = out.replace(/[[\]\\]/g, (c) => ({ '[': '{', ']': '}', '\\': '|' })[c]);
  if (mapping !== 'strict-rfc1459') out = out.replace(/~/g, '^');
  return out;
}

// --- Formatting -----------------------------------------------------------

/**
 * Splits text with mIRC formatting codes into runs:
 * [{text, bold, italic, underline, strike, mono, reverse, fg, bg}].
 * Colours are numbers (0-98) or null; hex colours (\x04) are kept as
 * strings "#rrggbb".
 */
export function parseFormatting(text) {
  const runs = [];
  let st = { bold: false, italic: false, underline: false, strike: false, mono: false, reverse: false, fg: null, bg: null };
  let buf = '';
  const flush = () => {
    if (buf) runs.push({ text: buf, ...st });
    buf = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case '\x02': flush(); st = { ...st, bold: !st.bold }; break;
      case '\x1d': flush(); st = { ...st, italic: !st.italic }; break;
      case '\x1f': flush(); st = { ...st, underline: !st.underline }; break;
      case '\x1e': flush(); st = { ...st, strike: !st.strike }; break;
      case '\x11': flush(); st = { ...st, mono: !st.mono }; break;
      case '\x16': flush(); st = { ...st, reverse: !st.reverse }; break;
      case '\x0f':
        flush();
        st = { bold: false, italic: false, underline: false, strike: false, mono: false, reverse: false, fg: null, bg: null };
        break;
      case '\x03': {
        flush();
        const m = /^(\d{1,2})(?:,(\d{1,2}))?/.exec(text.slice(i + 1));
        if (!m) {
          st = { ...st, fg: null, bg: null };
        } else {
          st = { ...st, fg: Number(m[1]) };
          if (m[2] !== undefined) st.bg = Number(m[2]);
          i += m[0].length;
        }
        break;
      }
      case '\x04': {
        flush();
        const m = /^([0-9a-fA-F]{6})(?:,([0-9a-fA-F]{6}))?/.exec(text.slice(i + 1));
        if (!m) {
          st = { ...st, fg: null, bg: null };
        } else {
          st = { ...st, fg: '#' + m[1] };
          if (m[2] !== undefined) st.bg = '#' + m[2];
          i += m[0].length;
        }
        break;
      }
      default:
        buf += c;
    }
  }
  flush();
  return runs;
}

/** Text without formatting codes. */
export function stripFormatting(text) {
  return parseFormatting(text).map((r) => r.text).join('');
}

/** A CTCP message `\x01CMD args\x01` as {command, text}, or null. */
export function parseCTCP(text) {
  if (!text.startsWith('\x01')) return null;
  let body = text.slice(1);
  if (body.endsWith('\x01')) body = body.slice(0, -1);
  const sp = body.indexOf(' ');
  return { command: (sp < 0 ? body : body.slice(0, sp)).toUpperCase(), text: sp < 0 ? '' : body.slice(sp + 1) };
}

/** Splits `text` into pieces of at most `max` UTF-8 bytes, at spaces when it can. */
export function splitUtf8(text, max) {
  const enc = new TextEncoder();
  const out = [];
  let rest = text;
  while (enc.encode(rest).length > max) {
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (enc.encode(rest.slice(0, mid)).length <= max) lo = mid;
      else hi = mid - 1;
    }
    let cut = lo;
    // Never cut a surrogate pair in two.
    if (cut > 0 && /[\ud800-\udbff]/.test(rest[cut - 1])) cut--;
    const space = rest.lastIndexOf(' ', cut);
    if (space > cut / 2) cut = space + 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

// --- ISUPPORT -------------------------------------------------------------

/** Server features from RPL_ISUPPORT (005), with defaults until it comes. */
export class ISupport {
  constructor() {
    this.raw = new Map();
  }
  add(tokens) {
    for (const tok of tokens) {
      if (tok.startsWith('-')) {
        this.raw.delete(tok.slice(1).toUpperCase());
        continue;
      }
      const eq = tok.indexOf('=');
      const key = (eq < 0 ? tok : tok.slice(0, eq)).toUpperCase();
      const value = eq < 0 ? '' : tok.slice(eq + 1).replace(/\\x([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      this.raw.set(key, value);
    }
  }
  get caseMapping() {
    return this.raw.get('CASEMAPPING') || 'rfc1459';
  }
  get chanTypes() {
    return this.raw.has('CHANTYPES') ? this.raw.get('CHANTYPES') : '#&';
  }
  get network() {
    return this.raw.get('NETWORK') || null;
  }
  /** Member prefixes: [{mode: 'o', prefix: '@'}, ...] highest first. */
  get prefixes() {
    const m = /^\(([^)]*)\)(.*)$/.exec(this.raw.get('PREFIX') ?? '(ov)@+');
    if (!m) return [];
    return [...m[1]].map((mode, i) => ({ mode, prefix: m[2][i] }));
  }
  /** CHANMODES as four strings: list, always-param, param-when-set, flag. */
  get chanModes() {
    const parts = (this.raw.get('CHANMODES') || 'beI,k,l,imnst').split(',');
    while (parts.length < 4) parts.push('');
    return parts;
  }
  get chathistory() {
    return this.raw.has('CHATHISTORY') ? Number(this.raw.get('CHATHISTORY')) || 100 : 0;
  }
  /** IRCv3 draft/FILEHOST: where files are uploaded (an http(s) URL, no
   * trailing slash), or null when the server takes none. */
  get fileHost() {
    try {
      const url = new URL(this.raw.get('DRAFT/FILEHOST') || '');
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
      return (url.origin + url.pathname).replace(/\/+$/, '');
    } catch {
      return null;
    }
  }
}

// --- Connection -----------------------------------------------------------

/** Capabilities the client uses, requested when the server offers them. */
export const WANTED_CAPS = [
  'message-tags', 'server-time', 'echo-message', 'batch',
  'draft/chathistory', 'chathistory', 'draft/event-playback', 'away-notify',
  'account-tag', 'multi-prefix', 'draft/read-marker', 'extended-join',
];

const BACKOFF_MIN = 1000;
const BACKOFF_MAX = 30000;
const REGAIN_INTERVAL = 30000;

/** Base64 of `text`'s UTF-8 bytes (SASL PLAIN, HTTP Basic). */
export function utf8Base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * One IRC session over WebSocket that comes back by itself. Events
 * (CustomEvent, details in `detail`):
 *   status   {state: 'connecting'|'registering'|'registered'|'disconnected',
 *             reconnectIn?: ms, reason?}
 *   message  a parsed message (live, or inside a batch the client does not
 *            collect), with `batch` set to the enclosing batch if any
 *   batch    {id, type, params, tags, messages} when a batch closes
 *   error    {fatal: true, text} when it gives up (SASL failure)
 */
export class IrcConnection extends EventTarget {
  constructor({ url, nick, password = '', realname = '' }) {
    super();
    this.url = url;
    this.wantedNick = nick;
    this.nick = nick;
    this.accountName = nick;
    this.password = password;
    this.realname = realname || nick;
    this.ws = null;
    this.state = 'disconnected';
    this.caps = new Set();
    this.availableCaps = new Map();
    this.isupport = new ISupport();
    this.batches = new Map();
    this.backoff = BACKOFF_MIN;
    this.reconnectTimer = null;
    this.closedByUser = false;
    this.registered = false;
    this.account = null;
    this.nickAttempts = 0;
  }

  connect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.closedByUser = false;
    this.caps = new Set();
    this.availableCaps = new Map();
    this.isupport = new ISupport();
    this.batches = new Map();
    this.registered = false;
    this.nick = this.wantedNick;
    this.nickAttempts = 0;
    this.lsBuffer = [];
    this.saslDone = false;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, 'text.ircv3.net');
    } catch (e) {
      this.onClose(String(e));
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (ws !== this.ws) return;
      this.setState('registering');
      this.send('CAP', ['LS', '302']);
      this.send('NICK', [this.nick]);
      this.send('USER', [this.nick.replace(/[^A-Za-z0-9]/g, '') || 'web', '0', '*', this.realname]);
    });
    ws.addEventListener('message', (ev) => {
      if (ws !== this.ws || typeof ev.data !== 'string') return;
      for (const line of ev.data.split(/\r?\n/)) if (line) this.onLine(line);
    });
    ws.addEventListener('close', (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClose(ev.reason || (ev.wasClean ? 'connection closed' : 'connection lost'));
    });
  }

  /** Closes for good (no reconnection) after QUIT. */
  quit(reason = '') {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.regainTimer);
    if (this.ws) {
      if (this.ws.readyState === WebSocket.OPEN) this.send('QUIT', reason ? [reason] : []);
      const ws = this.ws;
      setTimeout(() => ws.close(), 200);
    }
    this.ws = null;
    this.setState('disconnected', { reason: 'quit' });
  }

  /** Tries again at once (a pending back-off is skipped). */
  reconnectNow() {
    if (this.ws) return;
    this.connect();
  }

  onClose(reason) {
    this.registered = false;
    clearInterval(this.regainTimer);
    if (this.closedByUser) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
    this.setState('disconnected', { reason, reconnectIn: delay, reconnectAt: Date.now() + delay });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', { detail: { state, ...extra } }));
  }

  sendRaw(line) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(line);
    return true;
  }

  send(command, params = [], tags = null) {
    return this.sendRaw(formatMessage(command, params, tags));
  }

  has(cap) {
    return this.caps.has(cap);
  }

  get chathistory() {
    return this.has('draft/chathistory') || this.has('chathistory') || this.isupport.chathistory > 0;
  }

  casefold(name) {
    return casefold(name, this.isupport.caseMapping);
  }

  isChannel(name) {
    return name.length > 0 && this.isupport.chanTypes.includes(name[0]);
  }

  isMe(nick) {
    return this.casefold(nick) === this.casefold(this.nick);
  }

  onLine(line) {
    const msg = parseMessage(line);
    if (!msg.command) return;
    switch (msg.command) {
      case 'PING':
        this.send('PONG', msg.params);
        return;
      case 'CAP':
        this.onCap(msg);
        break;
      case 'AUTHENTICATE':
        if (msg.params[0] === '+' && this.password) {
          const payload = utf8Base64(`${this.accountName}\0${this.accountName}\0${this.password}`);
          for (let i = 0; i < payload.length; i += 400) this.send('AUTHENTICATE', [payload.slice(i, i + 400)]);
          if (payload.length % 400 === 0) this.send('AUTHENTICATE', ['+']);
        }
        return;
      case '900':
        this.account = msg.params[2] || null;
        break;
      case '903':
        this.saslDone = true;
        if (!this.registered) this.send('CAP', ['END']);
        break;
      case '902': case '904': case '905': case '906': case '908':
        if (!this.registered && !this.saslDone) {
          this.saslDone = true;
          if (msg.command !== '908') {
            this.dispatchEvent(new CustomEvent('error', {
              detail: { fatal: true, text: `Login failed: ${msg.params[msg.params.length - 1]}` },
            }));
            this.quit();
            return;
          }
        }
        break;
      case '001':
        this.nick = msg.params[0];
        this.registered = true;
        this.backoff = BACKOFF_MIN;
        // Back soon after losing the connection, our old session may still
        // hold the nick until it times out: ask for it now and then.
        clearInterval(this.regainTimer);
        if (!this.isMe(this.wantedNick)) {
          this.regainTimer = setInterval(() => {
            if (!this.registered || this.isMe(this.wantedNick)) clearInterval(this.regainTimer);
            else this.send('NICK', [this.wantedNick]);
          }, REGAIN_INTERVAL);
        }
        this.setState('registered');
        break;
      case '005':
        this.isupport.add(msg.params.slice(1, -1));
        break;
      case '432':
      case '433':
        // A refused attempt to take our nick back is no news.
        if (this.registered && msg.params[1] && this.casefold(msg.params[1]) === this.casefold(this.wantedNick) && !this.isMe(this.wantedNick)) msg.quiet = true;
        if (!this.registered && this.nickAttempts < 5) {
          this.nickAttempts++;
          this.nick = this.nick + '_';
          this.send('NICK', [this.nick]);
        }
        break;
      case 'NICK':
        if (msg.prefix && this.isMe(msg.prefix.name)) this.nick = msg.params[0];
        break;
      case 'BATCH':
        if (this.onBatch(msg)) return;
        break;
      default:
    }
    const batchId = msg.tags.batch;
    const batch = batchId ? this.batches.get(batchId) : null;
    if (batch) {
      msg.batch = batch;
      batch.messages.push(msg);
      if (!batch.collect) this.dispatchEvent(new CustomEvent('message', { detail: msg }));
      return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  /** BATCH +id type params / BATCH -id. Returns true when handled. */
  onBatch(msg) {
    const ref = msg.params[0] || '';
    if (ref.startsWith('+')) {
      const id = ref.slice(1);
      const parent = msg.tags.batch ? this.batches.get(msg.tags.batch) : null;
      const type = msg.params[1] || '';
      // History is handed over whole when it ends; other batches (netsplit,
      // labeled-response) pass their lines through as they come.
      const collect = type === 'chathistory' || type === 'draft/chathistory' || (parent && parent.collect);
      this.batches.set(id, { id, type, params: msg.params.slice(2), tags: msg.tags, messages: [], parent, collect });
      return true;
    }
    if (ref.startsWith('-')) {
      const id = ref.slice(1);
      const batch = this.batches.get(id);
      this.batches.delete(id);
      if (batch && batch.collect && !(batch.parent && batch.parent.collect)) {
        this.dispatchEvent(new CustomEvent('batch', { detail: batch }));
      }
      return true;
    }
    return false;
  }

  onCap(msg) {
    const sub = (msg.params[1] || '').toUpperCase();
    const more = msg.params[2] === '*';
    const list = (more ? msg.params[3] : msg.params[2]) || '';
    const items = list.split(' ').filter(Boolean);
    switch (sub) {
      case 'LS':
      case 'NEW': {
        for (const it of items) {
          const eq = it.indexOf('=');
          this.availableCaps.set(eq < 0 ? it : it.slice(0, eq), eq < 0 ? '' : it.slice(eq + 1));
        }
        if (sub === 'LS' && more) return;
        const req = WANTED_CAPS.filter((c) => this.availableCaps.has(c) && !this.caps.has(c));
        if (this.password && !this.registered && this.availableCaps.has('sasl')) {
          const mechs = this.availableCaps.get('sasl');
          if (!mechs || mechs.split(',').includes('PLAIN')) req.push('sasl');
        }
        if (req.length) this.send('CAP', ['REQ', req.join(' ')]);
        else if (!this.registered) this.send('CAP', ['END']);
        break;
      }
      case 'ACK': {
        for (const it of items) {
          if (it.startsWith('-')) this.caps.delete(it.slice(1));
          else this.caps.add(it);
        }
        if (!this.registered) {
          if (this.caps.has('sasl') && this.password && !this.saslDone) this.send('AUTHENTICATE', ['PLAIN']);
          else this.send('CAP', ['END']);
        }
        break;
      }
      case 'NAK':
        if (!this.registered) this.send('CAP', ['END']);
        break;
      case 'DEL':
        for (const it of items) {
          this.caps.delete(it);
          this.availableCaps.delete(it);
        }
        break;
      default:
    }
  }
}

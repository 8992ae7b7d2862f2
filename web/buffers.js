// The client's state: buffers (the server buffer, channels, private
// conversations), each with its entries kept in time order and its own
// message list element, built here with createElement/textContent only.

import { el, nickSpan, renderText, shortTime, dayLabel } from './render.js';

/** Everything the client knows; one object shared by the modules. */
export const state = {
  conn: null,
  /** casefolded name -> Buffer; the server buffer is under '' */
  buffers: new Map(),
  active: '',
  serverName: 'natter',
  nick: '',
  away: false,
  /** channels to join after the first registration */
  autojoin: [],
  /** casefolded nick -> buffer key where its WHOIS replies go */
  whoisTo: new Map(),
  /** channels the user asked to join (so their buffer opens) */
  pendingJoins: new Set(),
  /** whether to notify on highlights (the user allowed it) */
  notify: false,
  focused: true,
  /** set while a batch of older history is added, newest message first */
  olderHistory: false,
};

export function fold(name) {
  return state.conn ? state.conn.casefold(name) : name.toLowerCase();
}

/** One buffer: a channel, a private conversation or the server's messages. */
export class Buffer {
  constructor(name, type) {
    this.name = name;
    this.type = type; // 'server' | 'channel' | 'query'
    this.key = type === 'server' ? '' : fold(name);
    this.entries = [];
    this.msgids = new Set();
    /** casefolded nick -> {nick, prefix, away} */
    this.members = new Map();
    this.namesDone = true;
    this.topic = '';
    this.topicBy = '';
    this.joined = false;
    this.rejoin = false;
    this.unread = 0;
    this.highlights = 0;
    this.readMarker = null; // server-time string, or null
    this.history = 'idle'; // 'idle' | 'loading' | 'done'
    this.historyLoaded = false;
    this.requests = []; // CHATHISTORY asked and not answered: 'latest', 'latest-all', 'older'
    this.scrollTop = null; // null: at the bottom
    this.unreadNode = null;
    this.list = el('div', 'msg-list');
    this.list.dataset.buffer = name;
  }

  /** The newest and oldest times of messages the server keeps (they have
   * a msgid): where CHATHISTORY continues from. */
  get newestMsgTs() {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i].ts && this.entries[i].msgid) return this.entries[i].ts;
    return null;
  }

  get oldestMsgTs() {
    for (const e of this.entries) if (e.ts && e.msgid) return e.ts;
    return null;
  }

  /** The newest (or oldest) message as a CHATHISTORY reference:
   * msgid=... when the server takes those (messages sent in the same
   * millisecond share a timestamp, and a timestamp bound would skip
   * them), else timestamp=...; null with no such message. */
  historyRef(newest) {
    const list = newest ? [...this.entries].reverse() : this.entries;
    const e = list.find((x) => x.ts && x.msgid);
    if (!e) return null;
    const types = state.conn && state.conn.isupport.raw.has('MSGREFTYPES') ? state.conn.isupport.raw.get('MSGREFTYPES').split(',') : ['timestamp'];
    return types.includes('msgid') ? `msgid=${e.msgid}` : `timestamp=${e.ts}`;
  }

  rename(name) {
    this.name = name;
    this.key = fold(name);
    this.list.dataset.buffer = name;
  }
}

export function getBuffer(name) {
  if (name === '' || name == null) return state.buffers.get('');
  return state.buffers.get(fold(name)) || null;
}

/** The buffer for `name`, created (as `type`) when missing. */
export function ensureBuffer(name, type) {
  let buf = getBuffer(name);
  if (!buf) {
    buf = new Buffer(name, type);
    state.buffers.set(buf.key, buf);
  }
  return buf;
}

export function serverBuffer() {
  return state.buffers.get('');
}

export function activeBuffer() {
  return state.buffers.get(state.active) || serverBuffer();
}

/** Buffers in sidebar order: the server, channels, then private ones. */
export function sortedBuffers() {
  const rank = { server: 0, channel: 1, query: 2 };
  return [...state.buffers.values()].sort((a, b) => rank[a.type] - rank[b.type] || a.key.localeCompare(b.key));
}

// --- Entries --------------------------------------------------------------

// Kinds of entries that are someone speaking (they count as unread).
const SPOKEN = new Set(['privmsg', 'action', 'notice']);

export function isSpoken(entry) {
  return SPOKEN.has(entry.kind) && !entry.self;
}

function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** The first DOM node belonging to an entry (its day line, unread line or itself). */
function firstNode(entry) {
  return entry.dayNode || entry.node;
}

function fixDay(buf, i) {
  const e = buf.entries[i];
  if (!e) return;
  const prev = buf.entries[i - 1];
  const need = !prev || dayKey(prev.time) !== dayKey(e.time);
  if (need && !e.dayNode) {
    e.dayNode = el('div', 'day-sep', null, [el('span', '', dayLabel(e.time))]);
    buf.list.insertBefore(e.dayNode, e.node);
  } else if (!need && e.dayNode) {
    e.dayNode.remove();
    e.dayNode = null;
  }
}

/**
 * Adds an entry to a buffer at its place in time. An entry is
 * {kind, time: Date, ts (server-time string or null), msgid, nick, text,
 * self, highlight, history, ...}. Returns false for a message already shown
 * (same msgid).
 */
export function insertEntry(buf, entry) {
  if (entry.msgid) {
    if (buf.msgids.has(entry.msgid)) return false;
    buf.msgids.add(entry.msgid);
  }
  // Equal times: after the others, except while older history is added
  // (newest first, so each goes before the ones just added).
  let i = buf.entries.length;
  const t = entry.time.getTime();
  const before = state.olderHistory;
  while (i > 0 && (buf.entries[i - 1].time.getTime() > t || (before && buf.entries[i - 1].time.getTime() === t))) i--;
  buf.entries.splice(i, 0, entry);
  entry.node = renderEntry(entry);
  const next = buf.entries[i + 1];
  if (next && buf.unreadNode && buf.unreadNode.nextSibling === firstNode(next)) {
    buf.list.insertBefore(entry.node, buf.unreadNode);
  } else {
    buf.list.insertBefore(entry.node, next ? firstNode(next) : null);
  }
  fixDay(buf, i);
  fixDay(buf, i + 1);
  return true;
}

/** Puts the "new messages" line before the first unread entry, or removes it. */
export function placeUnreadLine(buf) {
  if (buf.unreadNode) buf.unreadNode.remove();
  buf.unreadNode = null;
  if (!buf.readMarker) return;
  const first = buf.entries.find((e) => e.ts && e.ts > buf.readMarker && isSpoken(e));
  if (!first) return;
  buf.unreadNode = el('div', 'unread-sep', null, [el('span', '', 'New messages')]);
  buf.list.insertBefore(buf.unreadNode, first.node);
}

/** Counts unread messages and highlights after the read marker. */
export function recount(buf) {
  buf.unread = 0;
  buf.highlights = 0;
  for (const e of buf.entries) {
    if (!isSpoken(e) || !e.ts || (buf.readMarker && e.ts <= buf.readMarker)) continue;
    buf.unread++;
    if (e.highlight) buf.highlights++;
  }
}

/** Functions called with (row, entry) for each message rendered (someone
 * speaking), to add to its row: upload.js shows shared images this way. */
export const messageDecorators = [];

const EVENT_ICON = { join: '→', part: '←', quit: '⇐', kick: '⊘', nick: '↔', mode: '⚙', topic: '✎', away: '…' };

function renderEntry(e) {
  const row = el('div', `msg msg-${e.kind}`);
  row.dataset.kind = e.kind;
  if (e.msgid) row.dataset.msgid = e.msgid;
  if (e.ts) row.dataset.ts = e.ts;
  if (e.self) row.classList.add('self');
  if (e.highlight) row.classList.add('highlight');
  const time = el('time', 'time', shortTime(e.time));
  time.dateTime = e.time.toISOString();
  time.title = e.time.toLocaleString();
  row.append(time);
  const body = el('span', 'body');
  row.append(body);
  const sender = () => {
    const span = nickSpan(e.nick, 'nick sender');
    span.title = e.account ? `${e.nick} (account ${e.account})` : e.nick;
    return span;
  };
  switch (e.kind) {
    case 'privmsg':
      body.append(sender(), el('span', 'text', null, [renderText(e.text)]));
      break;
    case 'action':
      body.append(el('span', 'star', '*'), sender(), ' ', el('span', 'text', null, [renderText(e.text)]));
      break;
    case 'notice':
      body.append(el('span', 'notice-nick', null, [el('span', '', '-'), sender(), el('span', '', '-')]), el('span', 'text', null, [renderText(e.text)]));
      break;
    case 'join': case 'part': case 'quit': case 'kick': case 'nick': case 'mode': case 'topic': case 'away':
      row.classList.add('event');
      body.append(el('span', 'icon', EVENT_ICON[e.kind]), el('span', 'text', null, eventParts(e)));
      break;
    default: // info, error, motd, whois
      body.append(el('span', 'text', null, [e.plain ? document.createTextNode(e.text) : renderText(e.text)]));
      if (e.action) {
        const b = el('button', 'inline-action', e.action.label);
        b.type = 'button';
        b.addEventListener('click', e.action.run);
        body.append(' ', b);
      }
  }
  if (SPOKEN.has(e.kind)) for (const decorate of messageDecorators) decorate(row, e);
  return row;
}

/** The parts of an event line: nicks coloured, reasons and topics rendered. */
function eventParts(e) {
  const t = (s) => document.createTextNode(s);
  const reason = e.text ? [t(' ('), el('span', 'reason', null, [renderText(e.text)]), t(')')] : [];
  switch (e.kind) {
    case 'join': return [nickSpan(e.nick), t(' joined')];
    case 'part': return [nickSpan(e.nick), t(' left'), ...reason];
    case 'quit': return [nickSpan(e.nick), t(' quit'), ...reason];
    case 'kick': return [nickSpan(e.target), t(' was kicked by '), nickSpan(e.nick), ...reason];
    case 'nick': return [nickSpan(e.nick), t(' is now known as '), nickSpan(e.newNick)];
    case 'mode': return [nickSpan(e.nick), t(' sets mode '), el('span', 'mode', e.text)];
    case 'topic':
      return e.text
        ? [nickSpan(e.nick), t(' changed the topic to: '), el('span', 'topic-text', null, [renderText(e.text)])]
        : [nickSpan(e.nick), t(' cleared the topic')];
    case 'away': return [nickSpan(e.nick), t(e.text ? ' is away' : ' is back'), ...reason];
    default: return [t(e.text || '')];
  }
}

/** Member prefix rank (0 = highest) from ISUPPORT PREFIX. */
export function prefixRank(prefix) {
  if (!prefix) return 99;
  const order = state.conn ? state.conn.isupport.prefixes.map((p) => p.prefix) : ['@', '+'];
  const r = order.indexOf(prefix[0]);
  return r < 0 ? 98 : r;
}

/** Members sorted: highest prefix first, then by nick. */
export function sortedMembers(buf) {
  return [...buf.members.values()].sort((a, b) => prefixRank(a.prefix) - prefixRank(b.prefix) || a.nick.toLowerCase().localeCompare(b.nick.toLowerCase()));
}

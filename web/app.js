// natter web client: the entry point. Connects to the server's IRC over
// WebSocket endpoint (/socket on this host) and turns what the server says
// into buffers, entries and member lists. The other modules: irc.js (the
// protocol and the connection), buffers.js (state), render.js (safe DOM
// building), ui.js (views and actions), commands.js (the composer),
// upload.js (shared files: uploads and inline images).

import { IrcConnection, parseCTCP } from './irc.js';
import {
  state, Buffer, fold, getBuffer, ensureBuffer, serverBuffer, activeBuffer, recount, placeUnreadLine,
} from './buffers.js';
import {
  addEntry, info, mentionsMe, switchBuffer, removeBuffer, renderAll, renderSidebar,
  renderHeader, renderMembers, renderLoader, renderStatus, renderNotifyButton,
  toggleNotifications, loadLatest, maybeLoadHistory, applyReadMarker, markRead,
  openListDialog, listReply, renderList, joinChannels, openQuery, renderComposer,
} from './ui.js';
import { setupComposer } from './commands.js';
import { setupUploads } from './upload.js';

const $ = (id) => document.getElementById(id);

// --- Message handling -----------------------------------------------------

function msgTime(msg) {
  const ts = msg.tags.time || null;
  const time = ts ? new Date(ts) : new Date();
  return { ts, time: Number.isNaN(time.getTime()) ? new Date() : time };
}

function sender(msg) {
  return msg.prefix ? msg.prefix.name : state.serverName;
}

function refreshIfActive(buf) {
  if (buf && buf.key === state.active) {
    renderHeader();
    renderMembers();
  }
}

/** Channel buffers where `nick` is a member. */
function channelsOf(nick) {
  const key = fold(nick);
  return [...state.buffers.values()].filter((b) => b.type === 'channel' && b.members.has(key));
}

function onPrivmsg(msg, ctx) {
  const conn = state.conn;
  const from = sender(msg);
  const text = msg.params[1] || '';
  const self = !!msg.prefix && conn.isMe(from);
  const statusmsg = conn.isupport.raw.get('STATUSMSG') || '';
  let target = msg.params[0] || '';
  while (target.length > 1 && statusmsg.includes(target[0]) && conn.isChannel(target.slice(1))) target = target.slice(1);
  const isNotice = msg.command === 'NOTICE';
  const ctcp = parseCTCP(text);
  if (ctcp && ctcp.command !== 'ACTION') {
    if (ctx.history) return;
    if (isNotice) {
      info(`CTCP ${ctcp.command} reply from ${from}: ${ctcp.text}`);
    } else if (!self) {
      const replies = {
        VERSION: 'natter web client',
        PING: ctcp.text,
        TIME: new Date().toString(),
        CLIENTINFO: 'ACTION CLIENTINFO PING TIME VERSION',
      };
      if (ctcp.command in replies) conn.send('NOTICE', [from, `\x01${ctcp.command} ${replies[ctcp.command]}\x01`]);
      info(`CTCP ${ctcp.command} from ${from}`, { buf: serverBuffer() });
    }
    return;
  }
  let buf;
  if (ctx.buf) {
    buf = ctx.buf;
  } else if (conn.isChannel(target)) {
    buf = getBuffer(target);
    if (!buf) return;
  } else if (isNotice && (!msg.prefix || !msg.prefix.user || target === '*' || !conn.registered)) {
    buf = serverBuffer();
  } else {
    const peer = self ? target : from;
    // Notices from services and the like go where the user is looking,
    // unless a conversation with the sender is open.
    buf = isNotice && !getBuffer(peer) ? activeBuffer() : getBuffer(peer);
    if (!buf) {
      buf = ensureBuffer(peer, 'query');
      if (!ctx.history) loadLatest(buf);
    }
  }
  const { ts, time } = msgTime(msg);
  const kind = ctcp ? 'action' : isNotice ? 'notice' : 'privmsg';
  const body = ctcp ? ctcp.text : text;
  const highlight = !self && buf.type !== 'server' && (buf.type === 'query' ? !isNotice : mentionsMe(body));
  addEntry(buf, {
    kind, nick: from, text: body, self, highlight, ts, time, msgid: msg.tags.msgid || null, history: !!ctx.history,
    account: msg.tags.account || null,
  });
  if (buf.type === 'query') renderSidebar();
}

function onJoin(msg, ctx) {
  const conn = state.conn;
  const nick = sender(msg);
  const chan = msg.params[0];
  const { ts, time } = msgTime(msg);
  if (ctx.history) {
    const buf = ctx.buf || getBuffer(chan);
    if (buf) addEntry(buf, { kind: 'join', nick, ts, time, msgid: msg.tags.msgid || null, history: true });
    return;
  }
  if (conn.isMe(nick)) {
    const fresh = !getBuffer(chan);
    const buf = ensureBuffer(chan, 'channel');
    if (fresh) addEntry(buf, { kind: 'join', nick, ts, time, msgid: msg.tags.msgid || null, self: true });
    buf.name = chan;
    buf.joined = true;
    buf.rejoin = true;
    buf.closing = false;
    buf.members.clear();
    buf.members.set(fold(nick), { nick, prefix: '', away: state.away });
    loadLatest(buf);
    if (state.pendingJoins.delete(fold(chan))) switchBuffer(buf.key);
    else renderAll();
    return;
  }
  const buf = getBuffer(chan);
  if (!buf) return;
  buf.members.set(fold(nick), { nick, prefix: '', away: false, account: msg.params[1] && msg.params[1] !== '*' ? msg.params[1] : null });
  addEntry(buf, { kind: 'join', nick, ts, time, msgid: msg.tags.msgid || null });
  refreshIfActive(buf);
}

function onPart(msg, ctx) {
  const conn = state.conn;
  const nick = sender(msg);
  const buf = ctx.buf || getBuffer(msg.params[0]);
  if (!buf) return;
  const { ts, time } = msgTime(msg);
  const entry = { kind: 'part', nick, text: msg.params[1] || '', ts, time, msgid: msg.tags.msgid || null, history: !!ctx.history };
  if (ctx.history) {
    addEntry(buf, entry);
    return;
  }
  if (conn.isMe(nick)) {
    buf.joined = false;
    buf.rejoin = false;
    buf.members.clear();
    if (buf.closing) {
      removeBuffer(buf);
      return;
    }
    addEntry(buf, entry);
    renderAll();
    return;
  }
  buf.members.delete(fold(nick));
  addEntry(buf, entry);
  refreshIfActive(buf);
}

function onKick(msg, ctx) {
  const conn = state.conn;
  const [chan, victim, reason = ''] = msg.params;
  const buf = ctx.buf || getBuffer(chan);
  if (!buf) return;
  const { ts, time } = msgTime(msg);
  addEntry(buf, { kind: 'kick', nick: sender(msg), target: victim, text: reason, ts, time, history: !!ctx.history });
  if (ctx.history) return;
  if (conn.isMe(victim)) {
    buf.joined = false;
    buf.rejoin = false;
    buf.members.clear();
    renderAll();
  } else {
    buf.members.delete(fold(victim));
    refreshIfActive(buf);
  }
}

function onQuit(msg, ctx) {
  const nick = sender(msg);
  const { ts, time } = msgTime(msg);
  const entry = () => ({ kind: 'quit', nick, text: msg.params[0] || '', ts, time, history: !!ctx.history });
  if (ctx.history) {
    if (ctx.buf) addEntry(ctx.buf, entry());
    return;
  }
  for (const buf of channelsOf(nick)) {
    buf.members.delete(fold(nick));
    addEntry(buf, entry());
    refreshIfActive(buf);
  }
  const query = getBuffer(nick);
  if (query && query.type === 'query') addEntry(query, entry());
}

function onNick(msg, ctx) {
  const conn = state.conn;
  const old = sender(msg);
  const nick = msg.params[0];
  const { ts, time } = msgTime(msg);
  const entry = () => ({ kind: 'nick', nick: old, newNick: nick, ts, time, history: !!ctx.history });
  if (ctx.history) {
    if (ctx.buf) addEntry(ctx.buf, entry());
    return;
  }
  // IrcConnection has already taken our own new nick; state.nick is the old one.
  if (fold(old) === fold(state.nick)) {
    state.nick = nick;
    // A nick the user chose is the one to come back with (not one the
    // server gave, such as a guest nick).
    if (conn.requestedNick && fold(conn.requestedNick) === fold(nick)) conn.wantedNick = nick;
    addEntry(serverBuffer(), { kind: 'nick', nick: old, newNick: nick, ts, time });
  }
  for (const buf of channelsOf(old)) {
    const m = buf.members.get(fold(old));
    buf.members.delete(fold(old));
    buf.members.set(fold(nick), { ...m, nick });
    addEntry(buf, entry());
    refreshIfActive(buf);
  }
  const query = getBuffer(old);
  if (query && query.type === 'query' && !getBuffer(nick)) {
    const wasActive = state.active === query.key;
    state.buffers.delete(query.key);
    query.rename(nick);
    state.buffers.set(query.key, query);
    if (wasActive) state.active = query.key;
    addEntry(query, entry());
    refreshIfActive(query);
  }
  renderSidebar();
}

function onTopic(msg, ctx) {
  const buf = ctx.buf || getBuffer(msg.params[0]);
  if (!buf) return;
  const { ts, time } = msgTime(msg);
  const text = msg.params[1] || '';
  if (!ctx.history) {
    buf.topic = text;
    buf.topicBy = sender(msg);
  }
  addEntry(buf, { kind: 'topic', nick: sender(msg), text, ts, time, msgid: msg.tags.msgid || null, history: !!ctx.history });
  refreshIfActive(buf);
}

/** MODE on a channel: member prefixes change; one event line. */
function onMode(msg, ctx) {
  const conn = state.conn;
  const [target, modes = '', ...args] = msg.params;
  if (!conn.isChannel(target)) {
    if (!ctx.history) info(`Your modes: ${msg.params.slice(1).join(' ')}`, { buf: serverBuffer() });
    return;
  }
  const buf = ctx.buf || getBuffer(target);
  if (!buf) return;
  const { ts, time } = msgTime(msg);
  addEntry(buf, { kind: 'mode', nick: sender(msg), text: msg.params.slice(1).join(' '), ts, time, history: !!ctx.history });
  if (ctx.history) return;
  const prefixes = conn.isupport.prefixes;
  const [listModes, always, whenSet] = conn.isupport.chanModes;
  let sign = '+';
  let ai = 0;
  for (const ch of modes) {
    if (ch === '+' || ch === '-') {
      sign = ch;
      continue;
    }
    const p = prefixes.find((x) => x.mode === ch);
    if (p) {
      const nick = args[ai++];
      const m = nick && buf.members.get(fold(nick));
      if (!m) continue;
      let set = m.prefix.replace(p.prefix, '');
      if (sign === '+') set += p.prefix;
      const order = prefixes.map((x) => x.prefix);
      m.prefix = [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join('');
    } else if (listModes.includes(ch) || always.includes(ch) || (whenSet.includes(ch) && sign === '+')) {
      ai++;
    }
  }
  refreshIfActive(buf);
}

function onNames(msg) {
  const buf = getBuffer(msg.params[2]);
  if (!buf) return;
  if (buf.namesDone) {
    buf.members.clear();
    buf.namesDone = false;
  }
  const chars = state.conn.isupport.prefixes.map((p) => p.prefix).join('');
  for (const item of (msg.params[3] || '').split(' ')) {
    if (!item) continue;
    let i = 0;
    while (i < item.length && chars.includes(item[i])) i++;
    const nick = item.slice(i).split('!')[0];
    const old = buf.members.get(fold(nick));
    buf.members.set(fold(nick), { nick, prefix: item.slice(0, i), away: old ? old.away : false });
  }
}

function setAway(nick, away) {
  for (const buf of state.buffers.values()) {
    const m = buf.members.get(fold(nick));
    if (m) m.away = away;
  }
  const buf = activeBuffer();
  if (buf.members.has(fold(nick)) || fold(buf.name) === fold(nick)) {
    renderMembers();
    renderHeader();
  }
}

function fmtDuration(s) {
  s = Number(s) || 0;
  const parts = [];
  for (const [n, u] of [[86400, 'd'], [3600, 'h'], [60, 'm']]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  if (s || !parts.length) parts.push(`${s}s`);
  return parts.join(' ');
}

const WHOIS = {
  311: (p) => `${p[1]} is ${p[2]}@${p[3]} (${p[5] || ''})`,
  312: (p) => `${p[1]} is connected to ${p[2]} (${p[3] || ''})`,
  313: (p) => `${p[1]} ${p[2] || 'is an IRC operator'}`,
  317: (p) => `${p[1]} has been idle ${fmtDuration(p[2])}${p[4] ? `, signed on ${new Date(Number(p[3]) * 1000).toLocaleString()}` : ''}`,
  319: (p) => `${p[1]} is on ${p[2] || ''}`,
  330: (p) => `${p[1]} is logged in as ${p[2]}`,
  301: (p) => `${p[1]} is away: ${p[2] || ''}`,
  671: (p) => `${p[1]} is using a secure connection`,
  318: (p) => `End of WHOIS for ${p[1]}`,
};
const WHOIS_OTHER = new Set(['276', '307', '320', '338', '378', '379']);

function onWhois(msg) {
  const p = msg.params;
  const key = fold(p[1] || '');
  const to = state.whoisTo.has(key) ? state.buffers.get(state.whoisTo.get(key)) : null;
  if (msg.command === '301' && !to) {
    // An away reply to a message we sent.
    const buf = getBuffer(p[1]) || activeBuffer();
    info(`${p[1]} is away: ${p[2] || ''}`, { buf });
    return;
  }
  const text = WHOIS[msg.command] ? WHOIS[msg.command](p) : `${p[1]} ${p.slice(2).join(' ')}`;
  info(text, { buf: to || activeBuffer(), kind: 'whois' });
  if (msg.command === '318') state.whoisTo.delete(key);
}

const SERVER_INFO = new Set(['001', '002', '003', '004', '251', '252', '253', '254', '255', '265', '266', '250', '422']);

function onNumeric(msg) {
  const p = msg.params;
  const cmd = msg.command;
  if (WHOIS[cmd] || WHOIS_OTHER.has(cmd)) return onWhois(msg);
  switch (cmd) {
    case '001':
      state.nick = p[0];
      state.serverName = msg.prefix ? msg.prefix.name : state.serverName;
      break;
    case '005':
      if (state.conn.isupport.network) state.serverName = state.conn.isupport.network;
      renderSidebar();
      renderComposer();
      if (activeBuffer().type === 'server') renderHeader();
      return;
    case '331': {
      const buf = getBuffer(p[1]);
      if (buf) buf.topic = '';
      refreshIfActive(buf);
      return;
    }
    case '332': {
      const buf = getBuffer(p[1]);
      if (buf) buf.topic = p[2] || '';
      refreshIfActive(buf);
      return;
    }
    case '333': {
      const buf = getBuffer(p[1]);
      if (buf) buf.topicBy = (p[2] || '').split('!')[0];
      return;
    }
    case '353':
      return onNames(msg);
    case '366': {
      const buf = getBuffer(p[1]);
      if (buf) {
        buf.namesDone = true;
        refreshIfActive(buf);
      }
      return;
    }
    case '321': case '322': case '323':
      return listReply(msg);
    case '305': case '306':
      state.away = cmd === '306';
      for (const buf of state.buffers.values()) {
        const m = buf.members.get(fold(state.conn.nick));
        if (m) m.away = state.away;
      }
      info(p[1] || (state.away ? 'You are away' : 'You are back'));
      renderSidebar();
      renderMembers();
      return;
    case '375': case '372': case '376':
      if (cmd !== '376') info(p[1] || '', { buf: serverBuffer(), kind: 'motd', plain: false });
      return;
    case '324': case '329': case '396': case '900': case '903':
      if (cmd === '900' || cmd === '903') info(p[p.length - 1], { buf: serverBuffer() });
      return;
    case '341':
      info(`Invited ${p[1]} to ${p[2]}`);
      return;
    default:
  }
  if (SERVER_INFO.has(cmd) || /^00[0-9]$/.test(cmd)) {
    info(p.slice(1).join(' '), { buf: serverBuffer() });
    return;
  }
  if (/^[45]\d\d$/.test(cmd) || /^9\d\d$/.test(cmd)) {
    const text = p.length > 2 ? `${p.slice(1, -1).join(' ')}: ${p[p.length - 1]}` : p[p.length - 1];
    const buf = (p[1] && getBuffer(p[1])) || (state.conn.registered ? activeBuffer() : serverBuffer());
    info(text, { buf, kind: 'error' });
    return;
  }
  info(p.slice(1).join(' '), { buf: serverBuffer() });
}

/** One message, live (ctx = {}) or from history (ctx = {history, buf}). */
function handle(msg, ctx = {}) {
  if (msg.quiet) return;
  switch (msg.command) {
    case 'PRIVMSG': case 'NOTICE': return onPrivmsg(msg, ctx);
    case 'JOIN': return onJoin(msg, ctx);
    case 'PART': return onPart(msg, ctx);
    case 'KICK': return onKick(msg, ctx);
    case 'QUIT': return onQuit(msg, ctx);
    case 'NICK': return onNick(msg, ctx);
    case 'TOPIC': return onTopic(msg, ctx);
    case 'MODE': return onMode(msg, ctx);
    default:
  }
  if (ctx.history) return;
  switch (msg.command) {
    case 'AWAY':
      return setAway(sender(msg), msg.params.length > 0);
    case 'INVITE': {
      const chan = msg.params[1];
      const label = /^#conv-(\d+)$/i.test(chan) ? `conversation ${chan.slice(6)} (${chan})` : chan;
      info(`${sender(msg)} invites you to ${label}`, { action: { label: 'Join', run: () => joinChannels([chan]) } });
      return;
    }
    case 'MARKREAD': {
      const buf = getBuffer(msg.params[0]);
      const m = /^timestamp=(.+)$/.exec(msg.params[1] || '');
      if (buf && m) applyReadMarker(buf, m[1]);
      return;
    }
    case 'ERROR':
      info(`Server: ${msg.params[0] || 'closing the connection'}`, { buf: serverBuffer(), kind: 'error' });
      return;
    case 'FAIL': case 'WARN': case 'NOTE': {
      const [command, code] = msg.params;
      if (command === 'CHATHISTORY') {
        // No history there (or none we may read): stop asking for it.
        const buf = getBuffer(msg.params.slice(2, -1).find((p) => getBuffer(p)) || '\0');
        for (const b of buf ? [buf] : state.buffers.values()) {
          if (b.requests.length || b.history === 'loading') {
            b.requests = [];
            b.history = 'done';
          }
        }
        renderLoader();
        return;
      }
      if (command === 'MARKREAD') return;
      info(`${command} ${code}: ${msg.params[msg.params.length - 1]}`, { kind: msg.command === 'FAIL' ? 'error' : 'info' });
      return;
    }
    case 'CAP': case 'AUTHENTICATE': case 'PONG': case 'BATCH': case 'TAGMSG': case 'ACCOUNT': case 'CHGHOST': case 'SETNAME':
      return;
    default:
  }
  if (/^\d{3}$/.test(msg.command)) onNumeric(msg);
}

/** A closed chathistory batch: older or latest messages of one buffer. */
function onBatch(batch) {
  const target = batch.params[0];
  const conn = state.conn;
  let buf = target ? getBuffer(target) : null;
  if (!buf && target && !conn.isChannel(target)) buf = ensureBuffer(target, 'query');
  if (!buf) return;
  const kind = (buf.requests || []).shift() || 'latest';
  const isActive = buf.key === state.active;
  const box = $('messages');
  const height = box.scrollHeight;
  const top = box.scrollTop;
  if (kind === 'older') {
    state.olderHistory = true;
    try {
      for (const msg of [...batch.messages].reverse()) handle(msg, { history: true, buf });
    } finally {
      state.olderHistory = false;
    }
  } else {
    for (const msg of batch.messages) handle(msg, { history: true, buf });
  }
  const spoken = batch.messages.filter((m) => m.command === 'PRIVMSG' || m.command === 'NOTICE').length;
  if (kind === 'older') {
    buf.history = batch.messages.length < 50 || spoken === 0 ? 'done' : 'idle';
    if (isActive) box.scrollTop = top + (box.scrollHeight - height);
  } else if (kind === 'latest-all' && batch.messages.length < 50) {
    buf.history = 'done';
  }
  if (!isActive && buf.readMarker) recount(buf);
  renderSidebar();
  if (isActive) {
    renderLoader();
    // What came since the read marker (from our earlier session or another
    // client) is marked before this view marks everything read.
    if (kind !== 'older' && !buf.unreadNode) placeUnreadLine(buf);
    markRead(buf);
    if (kind === 'older') maybeLoadHistory();
  }
}

// --- Connection -----------------------------------------------------------

let firstRegistration = true;

function onStatus(detail) {
  renderStatus(detail);
  const conn = state.conn;
  if (detail.state === 'registered') {
    state.nick = conn.nick;
    info(`Connected as ${conn.nick}.`, { buf: serverBuffer() });
    if (firstRegistration) {
      firstRegistration = false;
      if (state.autojoin.length) {
        state.pendingJoins.add(fold(state.autojoin[0]));
        conn.send('JOIN', [state.autojoin.join(',')]);
      }
    } else {
      const chans = [...state.buffers.values()].filter((b) => b.type === 'channel' && b.rejoin).map((b) => b.name);
      if (chans.length) conn.send('JOIN', [chans.join(',')]);
      for (const b of state.buffers.values()) if (b.type === 'query') loadLatest(b);
    }
    renderAll();
  } else if (detail.state === 'disconnected') {
    for (const b of state.buffers.values()) {
      if (b.type === 'channel') {
        b.joined = false;
        b.members.clear();
      }
      b.requests = [];
      if (b.history === 'loading') b.history = 'idle';
    }
    if (detail.reason !== 'quit') info(`Disconnected: ${detail.reason}.`, { buf: serverBuffer(), kind: 'error' });
    renderAll();
  }
}

// The server that served the page, and only it: a socket address taken
// from the page's URL would let a crafted link send the user's password
// elsewhere.
function socketUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/socket`;
}

function start({ nick, password, channels }) {
  state.buffers = new Map();
  state.buffers.set('', new Buffer('', 'server'));
  state.active = '';
  state.autojoin = channels;
  state.nick = nick;
  state.away = false;
  firstRegistration = true;
  const conn = new IrcConnection({ url: socketUrl(), nick, password });
  state.conn = conn;
  conn.addEventListener('status', (ev) => onStatus(ev.detail));
  conn.addEventListener('message', (ev) => handle(ev.detail));
  conn.addEventListener('batch', (ev) => onBatch(ev.detail));
  conn.addEventListener('error', (ev) => {
    if (ev.detail.fatal) showConnect(ev.detail.text);
  });
  $('connect-screen').hidden = true;
  $('chat').hidden = false;
  switchBuffer('');
  conn.connect();
}

function showConnect(error = '') {
  $('chat').hidden = true;
  $('connect-screen').hidden = false;
  const err = $('connect-error');
  err.textContent = error;
  err.hidden = !error;
  document.title = 'natter';
  $('connect-form').elements.nick.focus();
}

function setup() {
  const form = $('connect-form');
  form.elements.nick.value = localStorage.getItem('natter.nick') || '';
  form.elements.channels.value = localStorage.getItem('natter.channels') ?? '#natter';
  state.notify = localStorage.getItem('natter.notify') === '1';
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const nick = form.elements.nick.value.trim();
    if (!/^[^\s:#&,*?!@.][^\s,*?!@]*$/.test(nick)) {
      showConnect('A nickname has no spaces and does not start with # & : or a digit sign.');
      return;
    }
    const channels = form.elements.channels.value.split(/[\s,]+/).filter(Boolean).map((c) => (/^[#&]/.test(c) ? c : `#${c}`));
    localStorage.setItem('natter.nick', nick);
    localStorage.setItem('natter.channels', channels.join(' '));
    start({ nick, password: form.elements.password.value, channels });
    form.elements.password.value = '';
  });
  window.addEventListener('natter-quit', (ev) => {
    if (state.conn) state.conn.quit(ev.detail || 'Leaving');
    state.conn = null;
    showConnect();
  });
  $('messages').addEventListener('scroll', () => maybeLoadHistory(), { passive: true });
  $('menu-button').addEventListener('click', () => {
    document.body.classList.toggle('show-sidebar');
    document.body.classList.remove('show-members');
  });
  $('members-button').addEventListener('click', () => {
    document.body.classList.toggle('show-members');
    document.body.classList.toggle('hide-members');
    document.body.classList.remove('show-sidebar');
  });
  $('scrim').addEventListener('click', () => document.body.classList.remove('show-sidebar', 'show-members'));
  $('notify-button').addEventListener('click', () => toggleNotifications());
  $('join-button').addEventListener('click', () => openListDialog());
  $('list-filter').addEventListener('input', () => renderList());
  $('list-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('list-filter').value.trim();
    if (name && state.conn && state.conn.registered) {
      joinChannels([name]);
      $('list-dialog').close();
    }
  });
  $('list-close').addEventListener('click', () => $('list-dialog').close());
  window.addEventListener('focus', () => {
    state.focused = true;
    if (state.conn) markRead(activeBuffer());
  });
  window.addEventListener('blur', () => {
    state.focused = false;
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.conn) markRead(activeBuffer());
  });
  state.focused = document.hasFocus();
  setupComposer();
  setupUploads();
  renderNotifyButton();
  showConnect();
  // Opening a conversation from elsewhere in the page (nick clicks).
  document.addEventListener('click', (ev) => {
    const nick = ev.target.closest && ev.target.closest('.msg .sender');
    if (nick && state.conn && !state.conn.isMe(nick.dataset.nick)) openQuery(nick.dataset.nick);
  });
}

setup();

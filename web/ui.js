// The views of the natter web client (sidebar, top bar, messages, member
// list, status banner, channel list dialog) and the user's actions on
// them: switching, opening and closing buffers, sending, loading older
// history, read markers and notifications.

import { stripFormatting, splitUtf8 } from './irc.js';
import {
  state, fold, getBuffer, ensureBuffer, serverBuffer, activeBuffer, sortedBuffers,
  insertEntry, placeUnreadLine, recount, isSpoken, sortedMembers,
} from './buffers.js';
import { el, nickSpan, renderText, bufferLabel, isConversation } from './render.js';

const $ = (id) => document.getElementById(id);

// --- Entries --------------------------------------------------------------

/** Whether `text` mentions our nick as a word. */
export function mentionsMe(text) {
  const nick = state.conn ? state.conn.nick : state.nick;
  if (!nick) return false;
  const esc = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w\\[\\]\\\\^{}|\`-])${esc}($|[^\\w\\[\\]\\\\^{}|\`-])`, 'i').test(stripFormatting(text));
}

function atBottom() {
  const box = $('messages');
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function scrollToBottom() {
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
}

/**
 * Adds an entry to a buffer (live or history), counting it unread when
 * the buffer is not being looked at, and notifying on a highlight.
 */
export function addEntry(buf, entry) {
  entry.time = entry.time || new Date();
  const isActive = buf.key === state.active;
  const stick = isActive && atBottom();
  if (!insertEntry(buf, entry)) return false;
  if (isActive && stick) scrollToBottom();
  if (entry.history) return true;
  if (isSpoken(entry)) {
    const seen = isActive && state.focused && document.visibilityState === 'visible';
    if (!seen && !(buf.readMarker && entry.ts && entry.ts <= buf.readMarker)) {
      buf.unread++;
      if (entry.highlight) buf.highlights++;
      renderSidebar();
    }
    if (entry.highlight) notify(buf, entry);
    if (isActive) scheduleMarkRead(buf);
  }
  return true;
}

/** An info (or error) line in a buffer (default: the active one). */
export function info(text, { buf = null, kind = 'info', plain = true, action = null } = {}) {
  addEntry(buf || activeBuffer(), { kind, text, plain, action, time: new Date() });
}

// --- Buffers --------------------------------------------------------------

/** Shows a buffer: its messages, topic and members. */
export function switchBuffer(key) {
  const old = state.buffers.get(state.active);
  const box = $('messages');
  if (old) old.scrollTop = atBottom() ? null : box.scrollTop;
  const buf = state.buffers.get(key) || serverBuffer();
  state.active = buf.key;
  placeUnreadLine(buf);
  $('messages-inner').replaceChildren($('history-loader'), buf.list);
  if (buf.scrollTop == null) {
    if (buf.unreadNode) buf.unreadNode.scrollIntoView({ block: 'center' });
    else scrollToBottom();
  } else {
    box.scrollTop = buf.scrollTop;
  }
  buf.unread = 0;
  buf.highlights = 0;
  markRead(buf);
  document.body.classList.remove('show-sidebar', 'show-members');
  renderAll();
  if (!matchMedia('(max-width: 760px)').matches) $('input').focus();
  maybeLoadHistory();
}

export function renderAll() {
  renderSidebar();
  renderHeader();
  renderMembers();
  renderComposer();
  renderLoader();
}

/** Opens (and shows) the private conversation with `nick`. */
export function openQuery(nick, show = true) {
  const buf = ensureBuffer(nick, 'query');
  if (!buf.historyLoaded) loadLatest(buf);
  if (show) switchBuffer(buf.key);
  else renderSidebar();
  return buf;
}

/** Closes a buffer: parts a channel, forgets a private conversation. */
export function closeBuffer(key) {
  const buf = state.buffers.get(key);
  if (!buf || buf.type === 'server') return;
  if (buf.type === 'channel' && buf.joined) {
    buf.closing = true;
    state.conn.send('PART', [buf.name]);
    return;
  }
  removeBuffer(buf);
}

export function removeBuffer(buf) {
  state.buffers.delete(buf.key);
  if (state.active === buf.key) {
    const rest = sortedBuffers();
    const next = rest.filter((b) => b.type !== 'server')[0] || rest[0];
    switchBuffer(next ? next.key : '');
  } else {
    renderSidebar();
  }
}

/** Moves `delta` buffers up or down the sidebar. */
export function cycleBuffer(delta) {
  const list = sortedBuffers();
  const i = list.findIndex((b) => b.key === state.active);
  const next = list[(i + delta + list.length) % list.length];
  if (next) switchBuffer(next.key);
}

// --- Sending --------------------------------------------------------------

/** Sends a PRIVMSG (or NOTICE), split to fit a line; echoes it locally when
 * the server does not (no echo-message). */
export function sendMessage(target, text, { command = 'PRIVMSG', action = false } = {}) {
  const conn = state.conn;
  if (!conn || !conn.registered) {
    info('Not connected.', { kind: 'error' });
    return;
  }
  // Room for ":nick!user@host PRIVMSG target :" in the 512 bytes.
  const room = 512 - 2 - 100 - command.length - target.length - 4 - (action ? 9 : 0);
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    for (const piece of splitUtf8(line, Math.max(room, 100))) {
      const body = action ? `\x01ACTION ${piece}\x01` : piece;
      conn.send(command, [target, body]);
      if (!conn.has('echo-message')) {
        const buf = conn.isChannel(target) ? getBuffer(target) : ensureBuffer(target, 'query');
        if (buf) {
          addEntry(buf, {
            kind: action ? 'action' : command === 'NOTICE' ? 'notice' : 'privmsg',
            nick: conn.nick, text: piece, self: true, time: new Date(), ts: new Date().toISOString(),
          });
        }
      }
    }
  }
}

// --- History and read markers ---------------------------------------------

/** The latest history of a buffer, or what was missed since its newest message. */
export function loadLatest(buf) {
  const conn = state.conn;
  if (!conn || !conn.registered || !conn.chathistory || buf.type === 'server') return;
  buf.historyLoaded = true;
  const newest = buf.historyRef(true);
  buf.requests = [...(buf.requests || []), newest ? 'latest' : 'latest-all'];
  conn.send('CHATHISTORY', ['LATEST', buf.name, newest || '*', newest ? '100' : '50']);
}

/** Asks for 50 messages older than the buffer's oldest. */
export function loadOlder(buf) {
  const conn = state.conn;
  if (!conn || !conn.registered || !conn.chathistory || buf.type === 'server' || buf.history !== 'idle') return;
  // One question at a time; with no message yet, the latest ones are asked
  // for (or were, and there are none).
  const oldest = buf.historyRef(false);
  if (buf.requests.length || !oldest) return;
  buf.history = 'loading';
  buf.requests = [...(buf.requests || []), 'older'];
  conn.send('CHATHISTORY', ['BEFORE', buf.name, oldest, '50']);
  renderLoader();
}

/** Loads older history when the active buffer is scrolled to its top. */
export function maybeLoadHistory() {
  const box = $('messages');
  if (box.scrollTop < 60) loadOlder(activeBuffer());
}

export function renderLoader() {
  const buf = activeBuffer();
  const loader = $('history-loader');
  const conn = state.conn;
  loader.replaceChildren();
  if (buf.type === 'server' || !conn || !conn.chathistory) return;
  if (buf.history === 'loading') {
    loader.append(el('span', 'loading', 'Loading older messages…'));
  } else if (buf.history === 'done') {
    loader.append(el('span', 'history-end', 'Beginning of history'));
  } else {
    const b = el('button', 'link-button', 'Load older messages');
    b.type = 'button';
    b.addEventListener('click', () => loadOlder(buf));
    loader.append(b);
  }
}

const markTimers = new Map();

function scheduleMarkRead(buf) {
  if (markTimers.has(buf.key)) return;
  markTimers.set(buf.key, setTimeout(() => {
    markTimers.delete(buf.key);
    if (state.active === buf.key) markRead(buf);
  }, 500));
}

/** Tells the server (and so our other clients) the buffer is read. */
export function markRead(buf) {
  if (buf.type === 'server' || !state.focused || document.visibilityState !== 'visible') return;
  if (buf.unread || buf.highlights) {
    buf.unread = 0;
    buf.highlights = 0;
    renderSidebar();
  }
  // Up to the newest message (not our own join line, which would move a
  // stored marker past the history still to come).
  const newest = buf.newestMsgTs;
  if (!newest || (buf.readMarker && newest <= buf.readMarker)) return;
  buf.readMarker = newest;
  const conn = state.conn;
  if (conn && conn.registered && conn.has('draft/read-marker')) conn.send('MARKREAD', [buf.name, `timestamp=${newest}`]);
  updateTitle();
}

/** A MARKREAD from the server: another client of ours read up to `ts`. */
export function applyReadMarker(buf, ts) {
  if (!ts || (buf.readMarker && ts <= buf.readMarker)) return;
  buf.readMarker = ts;
  if (buf.key !== state.active) recount(buf);
  renderSidebar();
}

// --- Notifications --------------------------------------------------------

function notify(buf, entry) {
  updateTitle();
  if (!state.notify || !('Notification' in window) || Notification.permission !== 'granted') return;
  if (state.active === buf.key && state.focused && document.visibilityState === 'visible') return;
  const title = buf.type === 'query' ? entry.nick : `${entry.nick} in ${bufferLabel(buf.name)}`;
  try {
    const n = new Notification(title, { body: stripFormatting(entry.text), tag: `natter-${buf.key}` });
    n.addEventListener('click', () => {
      window.focus();
      switchBuffer(buf.key);
      n.close();
    });
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}

export function renderNotifyButton() {
  const b = $('notify-button');
  if (!('Notification' in window)) {
    b.hidden = true;
    return;
  }
  const perm = Notification.permission;
  b.disabled = perm === 'denied';
  b.textContent = perm === 'denied' ? 'Notifications blocked' : state.notify && perm === 'granted' ? 'Notifications on' : 'Enable notifications';
  b.classList.toggle('on', state.notify && perm === 'granted');
}

/** On the user's click: ask for permission, or turn notifications off and on. */
export async function toggleNotifications() {
  if (!('Notification' in window)) return;
  if (Notification.permission === 'granted') {
    state.notify = !state.notify;
  } else if (Notification.permission === 'default') {
    state.notify = (await Notification.requestPermission()) === 'granted';
  }
  localStorage.setItem('natter.notify', state.notify ? '1' : '0');
  renderNotifyButton();
}

function updateTitle() {
  let highlights = 0;
  for (const b of state.buffers.values()) highlights += b.highlights;
  document.title = highlights ? `(${highlights}) natter` : 'natter';
}

// --- Rendering ------------------------------------------------------------

export function renderSidebar() {
  const list = $('buffers');
  const items = [];
  let anyUnread = false;
  for (const buf of sortedBuffers()) {
    const li = el('li', `buffer buffer-${buf.type}`);
    li.dataset.name = buf.name;
    if (buf.key === state.active) li.classList.add('active');
    if (buf.type === 'channel' && !buf.joined) li.classList.add('parted');
    if (buf.unread) li.classList.add('has-unread');
    const button = el('button', 'buffer-button');
    button.type = 'button';
    const label = buf.type === 'server' ? state.serverName : bufferLabel(buf.name);
    button.append(el('span', 'buffer-name', label));
    button.title = label === buf.name || buf.type === 'server' ? label : `${label} (${buf.name})`;
    if (buf.highlights) button.append(el('span', 'badge highlight', String(buf.highlights)));
    else if (buf.unread) button.append(el('span', 'badge unread', String(buf.unread)));
    if (buf.key !== state.active && (buf.unread || buf.highlights)) anyUnread = true;
    button.addEventListener('click', () => switchBuffer(buf.key));
    li.append(button);
    if (buf.type !== 'server') {
      const close = el('button', 'buffer-close', '×');
      close.type = 'button';
      close.title = buf.type === 'channel' ? `Leave ${buf.name}` : `Close ${buf.name}`;
      close.setAttribute('aria-label', close.title);
      close.addEventListener('click', () => closeBuffer(buf.key));
      li.append(close);
    }
    items.push(li);
  }
  list.replaceChildren(...items);
  $('menu-button').classList.toggle('has-unread', anyUnread);
  $('own-nick').textContent = state.conn ? state.conn.nick : state.nick;
  $('own-nick').classList.toggle('away', state.away);
  updateTitle();
}

export function renderHeader() {
  const buf = activeBuffer();
  const title = $('buffer-title');
  const topic = $('topic');
  title.replaceChildren();
  topic.replaceChildren();
  if (buf.type === 'server') {
    title.textContent = state.serverName;
    topic.textContent = state.conn && state.conn.registered ? `Connected as ${state.conn.nick}` : '';
  } else if (buf.type === 'channel') {
    title.textContent = bufferLabel(buf.name);
    if (isConversation(buf.name)) title.append(el('span', 'title-sub', buf.name));
    if (buf.topic) topic.append(renderText(buf.topic));
    else topic.append(el('span', 'no-topic', buf.joined ? 'No topic' : 'You are not in this channel'));
  } else {
    title.append(nickSpan(buf.name));
    const m = buf.members.get(fold(buf.name));
    topic.textContent = m && m.away ? 'Away' : 'Private conversation';
  }
  topic.title = topic.textContent;
  $('members-button').hidden = buf.type !== 'channel';
  document.body.classList.toggle('no-members', buf.type !== 'channel');
}

export function renderMembers() {
  const buf = activeBuffer();
  const ul = $('members');
  if (buf.type !== 'channel') {
    ul.replaceChildren();
    $('member-count').textContent = '';
    return;
  }
  const items = sortedMembers(buf).map((m) => {
    const li = el('li', 'member');
    li.dataset.nick = m.nick;
    if (m.away) li.classList.add('away');
    const b = el('button', 'member-button');
    b.type = 'button';
    b.title = m.nick + (m.account ? ` (account ${m.account})` : '') + (m.away ? ' (away)' : '');
    b.append(el('span', 'prefix', m.prefix ? m.prefix[0] : ''), nickSpan(m.nick));
    b.addEventListener('click', () => {
      if (!state.conn.isMe(m.nick)) openQuery(m.nick);
    });
    li.append(b);
    return li;
  });
  ul.replaceChildren(...items);
  $('member-count').textContent = String(buf.members.size);
}

export function renderComposer() {
  const buf = activeBuffer();
  const input = $('input');
  if (buf.type === 'server') input.placeholder = 'Type a /command (/help lists them)';
  else if (buf.type === 'channel' && !buf.joined) input.placeholder = `Not in ${buf.name} — /join to come back`;
  else input.placeholder = `Message ${buf.type === 'query' ? buf.name : bufferLabel(buf.name)}`;
  // The attach button (upload.js) where the server takes files.
  $('attach-button').hidden = !(state.conn && state.conn.isupport.fileHost && buf.type !== 'server');
}

let countdown = null;

/** The connection state: a banner while not connected. */
export function renderStatus(detail) {
  const banner = $('status-banner');
  clearInterval(countdown);
  document.body.dataset.connection = detail.state;
  if (detail.state === 'registered') {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.hidden = false;
  const text = el('span', 'status-text');
  banner.replaceChildren(text);
  if (detail.state === 'connecting' || detail.state === 'registering') {
    text.textContent = 'Connecting…';
    banner.className = 'connecting';
  } else if (detail.reconnectAt) {
    banner.className = 'reconnecting';
    const tick = () => {
      const s = Math.max(0, Math.ceil((detail.reconnectAt - Date.now()) / 1000));
      text.textContent = `Disconnected (${detail.reason}). Reconnecting in ${s} s…`;
    };
    tick();
    countdown = setInterval(tick, 1000);
    const b = el('button', 'link-button', 'Reconnect now');
    b.type = 'button';
    b.addEventListener('click', () => state.conn && state.conn.reconnectNow());
    banner.append(b);
  } else {
    banner.className = 'disconnected';
    text.textContent = 'Disconnected.';
  }
}

// --- Channel list ---------------------------------------------------------

let listRows = [];

export function openListDialog() {
  const dialog = $('list-dialog');
  listRows = [];
  $('list-filter').value = '';
  $('list-status').textContent = 'Loading channels…';
  $('list-body').replaceChildren();
  if (!dialog.open) dialog.showModal();
  $('list-filter').focus();
  if (state.conn && state.conn.registered) state.conn.send('LIST');
  else $('list-status').textContent = 'Not connected.';
}

export function listReply(msg) {
  if (msg.command === '321') {
    listRows = [];
  } else if (msg.command === '322') {
    // natter, like many servers, starts the topic with the modes: "[+nt] ".
    const topic = (msg.params[3] || '').replace(/^\[\+[^\]]*\] ?/, '');
    listRows.push({ name: msg.params[1], users: Number(msg.params[2]) || 0, topic });
  } else if (msg.command === '323') {
    listRows.sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
    renderList();
  }
}

export function renderList() {
  const filter = $('list-filter').value.trim().toLowerCase();
  const rows = listRows.filter((r) => !filter || r.name.toLowerCase().includes(filter) || r.topic.toLowerCase().includes(filter));
  $('list-status').textContent = listRows.length ? `${rows.length} of ${listRows.length} channels` : 'No channels yet: type a name to create one.';
  $('list-body').replaceChildren(...rows.map((r) => {
    const li = el('li', 'list-row');
    li.dataset.name = r.name;
    const b = el('button', 'list-join', null, [
      el('span', 'list-name', bufferLabel(r.name)),
      el('span', 'list-users', `${r.users} ${r.users === 1 ? 'user' : 'users'}`),
      el('span', 'list-topic', null, [renderText(r.topic)]),
    ]);
    b.type = 'button';
    b.addEventListener('click', () => {
      joinChannels([r.name]);
      $('list-dialog').close();
    });
    li.append(b);
    return li;
  }));
}

/** Joins channels; their buffers open when the server confirms. */
export function joinChannels(names, keys = []) {
  const conn = state.conn;
  const chans = names.map((n) => (conn.isChannel(n) ? n : '#' + n));
  for (const c of chans) state.pendingJoins.add(fold(c));
  const existing = chans.map((c) => getBuffer(c)).find((b) => b && b.joined);
  if (existing && chans.length === 1) {
    switchBuffer(existing.key);
    return;
  }
  conn.send('JOIN', keys.length ? [chans.join(','), keys.join(',')] : [chans.join(',')]);
}

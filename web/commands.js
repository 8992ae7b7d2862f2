// The composer: slash commands, input history, nick completion and the
// keyboard shortcuts of the natter web client.

import { state, fold, getBuffer, activeBuffer, sortedBuffers } from './buffers.js';
import {
  info, sendMessage, openQuery, closeBuffer, switchBuffer, cycleBuffer,
  openListDialog, joinChannels, renderSidebar,
} from './ui.js';

const $ = (id) => document.getElementById(id);

function needChannel(buf, what) {
  if (buf.type !== 'channel') {
    info(`${what} needs a channel: give one, or use it in a channel.`, { kind: 'error' });
    return false;
  }
  return true;
}

/** The commands: name -> {args, help, run(rest, buf)}. */
export const COMMANDS = {
  join: {
    args: '<#channel>[,<#channel>...] [key]',
    help: 'Join channels.',
    run(rest) {
      const [chans, keys] = rest.split(/\s+/);
      if (!chans) return info('Usage: /join <#channel>', { kind: 'error' });
      joinChannels(chans.split(',').filter(Boolean), keys ? keys.split(',') : []);
    },
  },
  part: {
    args: '[<#channel>] [reason]',
    help: 'Leave a channel (this one by default).',
    run(rest, buf) {
      let [chan, ...reason] = rest.split(' ');
      if (!chan || !state.conn.isChannel(chan)) {
        if (!needChannel(buf, '/part')) return;
        reason = rest ? rest.split(' ') : [];
        chan = buf.name;
      }
      const target = getBuffer(chan);
      if (target) target.closing = true;
      state.conn.send('PART', reason.length ? [chan, reason.join(' ')] : [chan]);
    },
  },
  msg: {
    args: '<target> <message>',
    help: 'Send a message to a nick or channel.',
    run(rest) {
      const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
      if (!m) return info('Usage: /msg <target> <message>', { kind: 'error' });
      if (!state.conn.isChannel(m[1])) openQuery(m[1], false);
      sendMessage(m[1], m[2]);
    },
  },
  query: {
    args: '<nick> [message]',
    help: 'Open a private conversation.',
    run(rest) {
      const m = /^(\S+)(?:\s+([\s\S]+))?$/.exec(rest);
      if (!m || state.conn.isChannel(m[1])) return info('Usage: /query <nick> [message]', { kind: 'error' });
      openQuery(m[1]);
      if (m[2]) sendMessage(m[1], m[2]);
    },
  },
  me: {
    args: '<action>',
    help: 'Send an action (CTCP ACTION).',
    run(rest, buf) {
      if (buf.type === 'server') return info('/me works in a channel or private conversation.', { kind: 'error' });
      sendMessage(buf.name, rest, { action: true });
    },
  },
  notice: {
    args: '<target> <message>',
    help: 'Send a notice.',
    run(rest) {
      const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
      if (!m) return info('Usage: /notice <target> <message>', { kind: 'error' });
      sendMessage(m[1], m[2], { command: 'NOTICE' });
    },
  },
  nick: {
    args: '<nick>',
    help: 'Change your nick.',
    run(rest) {
      const nick = rest.trim();
      if (!nick) return info('Usage: /nick <nick>', { kind: 'error' });
      state.conn.requestedNick = nick;
      state.conn.send('NICK', [nick]);
    },
  },
  topic: {
    args: '[text]',
    help: "Show or set this channel's topic.",
    run(rest, buf) {
      if (!needChannel(buf, '/topic')) return;
      if (!rest) info(buf.topic ? `Topic: ${buf.topic}` : 'No topic is set.', { plain: false });
      else state.conn.send('TOPIC', [buf.name, rest]);
    },
  },
  away: {
    args: '[message]',
    help: 'Mark yourself away (no message: back).',
    run(rest) {
      state.conn.send('AWAY', rest ? [rest] : []);
    },
  },
  back: {
    args: '',
    help: 'Mark yourself back.',
    run() {
      state.conn.send('AWAY');
    },
  },
  whois: {
    args: '<nick>',
    help: 'Show who someone is (here).',
    run(rest, buf) {
      const nick = rest.trim() || (buf.type === 'query' ? buf.name : '');
      if (!nick) return info('Usage: /whois <nick>', { kind: 'error' });
      state.whoisTo.set(fold(nick), buf.key);
      state.conn.send('WHOIS', [nick]);
    },
  },
  list: {
    args: '',
    help: 'Browse the channels.',
    run() {
      openListDialog();
    },
  },
  invite: {
    args: '<nick> [#channel]',
    help: 'Invite someone to this channel.',
    run(rest, buf) {
      const [nick, chan] = rest.split(/\s+/);
      if (!nick) return info('Usage: /invite <nick> [#channel]', { kind: 'error' });
      if (!chan && !needChannel(buf, '/invite')) return;
      state.conn.send('INVITE', [nick, chan || buf.name]);
    },
  },
  kick: {
    args: '<nick> [reason]',
    help: 'Kick someone from this channel.',
    run(rest, buf) {
      const [nick, ...reason] = rest.split(' ');
      if (!nick || !needChannel(buf, '/kick')) return;
      state.conn.send('KICK', reason.length ? [buf.name, nick, reason.join(' ')] : [buf.name, nick]);
    },
  },
  mode: {
    args: '[target] <modes> [args]',
    help: 'Change modes (of this channel by default).',
    run(rest, buf) {
      const words = rest.split(/\s+/).filter(Boolean);
      if (!words.length || /^[+-]/.test(words[0])) {
        if (!needChannel(buf, '/mode')) return;
        words.unshift(buf.name);
      }
      state.conn.send('MODE', words);
    },
  },
  close: {
    args: '',
    help: 'Close this buffer (leaves a channel).',
    run(rest, buf) {
      closeBuffer(buf.key);
    },
  },
  clear: {
    args: '',
    help: 'Clear the messages shown in this buffer.',
    run(rest, buf) {
      buf.entries = [];
      buf.list.replaceChildren();
      buf.unreadNode = null;
    },
  },
  quit: {
    args: '[reason]',
    help: 'Disconnect.',
    run(rest) {
      window.dispatchEvent(new CustomEvent('natter-quit', { detail: rest }));
    },
  },
  raw: {
    args: '<line>',
    help: 'Send a raw IRC line.',
    run(rest) {
      if (!rest) return info('Usage: /raw <line>', { kind: 'error' });
      if (!state.conn.sendRaw(rest)) info('Not connected.', { kind: 'error' });
    },
  },
  help: {
    args: '',
    help: 'This list.',
    run() {
      info('Commands:');
      for (const [name, c] of Object.entries(COMMANDS)) info(`/${name} ${c.args} — ${c.help}`);
      info('Keys: Tab completes nicks and commands; Up/Down recall what you sent; Alt+Up/Down or Alt+1…9 switch buffers; Esc closes dialogs and panels.');
    },
  },
};

const ALIASES = { j: 'join', leave: 'part', m: 'msg', q: 'query', w: 'whois', quote: 'raw', exit: 'quit', wc: 'close' };

/** Runs what the user typed in the composer. */
export function submit(text) {
  const buf = activeBuffer();
  if (!text.trim()) return;
  if (text.startsWith('/') && !text.startsWith('//')) {
    const m = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
    const name = ALIASES[m[1].toLowerCase()] || m[1].toLowerCase();
    const cmd = COMMANDS[name];
    if (!cmd) {
      info(`Unknown command /${m[1]} (/help lists them; /raw sends any IRC line).`, { kind: 'error' });
      return;
    }
    if (!state.conn || (!state.conn.registered && name !== 'quit' && name !== 'help')) {
      info('Not connected.', { kind: 'error' });
      return;
    }
    cmd.run(m[2].trim(), buf);
    return;
  }
  if (text.startsWith('//')) text = text.slice(1);
  if (buf.type === 'server') {
    info('This is the server buffer: type a /command, or switch to a channel.', { kind: 'error' });
    return;
  }
  if (buf.type === 'channel' && !buf.joined) {
    info(`You are not in ${buf.name}.`, { kind: 'error' });
    return;
  }
  sendMessage(buf.name, text);
}

// --- Composer keys --------------------------------------------------------

const sent = [];
let sentIndex = -1;
let draft = '';
let completion = null;

function complete(input) {
  const pos = input.selectionStart;
  const text = input.value;
  if (!completion) {
    const start = text.lastIndexOf(' ', pos - 1) + 1;
    const word = text.slice(start, pos);
    if (!word) return;
    let options;
    if (start === 0 && word.startsWith('/')) {
      options = Object.keys(COMMANDS).map((c) => `/${c} `);
    } else {
      const buf = activeBuffer();
      const nicks = buf.type === 'channel' ? [...buf.members.values()].map((m) => m.nick) : [buf.name];
      const chans = sortedBuffers().filter((b) => b.type === 'channel').map((b) => b.name);
      options = [...nicks, ...chans].map((n) => (start === 0 && !state.conn.isChannel(n) ? `${n}: ` : `${n} `));
    }
    const lower = word.toLowerCase();
    const matches = options.filter((o) => o.toLowerCase().startsWith(lower) && state.conn && !(state.conn.isMe(o.replace(/[: ]+$/, ''))));
    if (!matches.length) return;
    completion = { start, matches, i: 0, after: text.slice(pos) };
  } else {
    completion.i = (completion.i + 1) % completion.matches.length;
  }
  const pick = completion.matches[completion.i];
  input.value = text.slice(0, completion.start) + pick + completion.after;
  const caret = completion.start + pick.length;
  input.setSelectionRange(caret, caret);
}

/** Wires the composer and the global shortcuts. */
export function setupComposer() {
  const input = $('input');
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value;
    input.value = '';
    completion = null;
    if (text.trim()) {
      sent.push(text);
      if (sent.length > 100) sent.shift();
    }
    sentIndex = -1;
    submit(text);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey) {
      ev.preventDefault();
      complete(input);
      return;
    }
    if (ev.key !== 'Shift') completion = null;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === 'ArrowUp' && sent.length && (sentIndex >= 0 || !input.value.includes('\n'))) {
      ev.preventDefault();
      if (sentIndex < 0) {
        draft = input.value;
        sentIndex = sent.length;
      }
      sentIndex = Math.max(0, sentIndex - 1);
      input.value = sent[sentIndex];
    } else if (ev.key === 'ArrowDown' && sentIndex >= 0) {
      ev.preventDefault();
      sentIndex++;
      if (sentIndex >= sent.length) {
        sentIndex = -1;
        input.value = draft;
      } else {
        input.value = sent[sentIndex];
      }
    }
  });
  document.addEventListener('keydown', (ev) => {
    if ($('chat').hidden) return;
    if (ev.altKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
      ev.preventDefault();
      cycleBuffer(ev.key === 'ArrowUp' ? -1 : 1);
    } else if (ev.altKey && /^Digit[1-9]$/.test(ev.code)) {
      ev.preventDefault();
      const b = sortedBuffers()[Number(ev.code.slice(5)) - 1];
      if (b) switchBuffer(b.key);
    } else if (ev.key === 'Escape') {
      document.body.classList.remove('show-sidebar', 'show-members');
    } else if (!ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key.length === 1 && document.activeElement === document.body) {
      input.focus();
    }
  });
  renderSidebar();
}

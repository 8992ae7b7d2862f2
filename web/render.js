// DOM building for the natter web client. Every piece of text from the
// network goes into the page through textContent or createTextNode; no
// HTML string is ever parsed. Links are made only for http: and https:
// URLs.

import { parseFormatting } from './irc.js';

/** createElement with a class name, optional text and children. */
export function el(tag, className = '', text = null, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  for (const child of children) if (child) node.append(child);
  return node;
}

/** A small stable hash of a nick, for its colour. */
export function nickHash(nick) {
  // FNV-1a: similar nicks still land far apart.
  let h = 0x811c9dc5;
  for (const ch of nick.toLowerCase()) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193);
  return h >>> 0;
}

export const NICK_COLOURS = 12;

/** A span with the nick in its hashed colour (class nick-cN). */
export function nickSpan(nick, className = 'nick') {
  const span = el('span', `${className} nick-c${nickHash(nick) % NICK_COLOURS}`, nick);
  span.dataset.nick = nick;
  return span;
}

// The 99 mIRC colours; 0-15 are themed in CSS (.irc-fgN/.irc-bgN), 16-98
// are the fixed extended palette.
const EXTENDED = [
  '470000', '472100', '474700', '324700', '004700', '00472c', '004747', '002747', '000047', '2e0047', '470047', '47002a',
  '740000', '743a00', '747400', '517400', '007400', '007449', '007474', '004074', '000074', '4b0074', '740074', '740045',
  'b50000', 'b56300', 'b5b500', '7db500', '00b500', '00b571', '00b5b5', '0063b5', '0000b5', '7500b5', 'b500b5', 'b5006b',
  'ff0000', 'ff8c00', 'ffff00', 'b2ff00', '00ff00', '00ffa0', '00ffff', '008cff', '0000ff', 'a500ff', 'ff00ff', 'ff0098',
  'ff5959', 'ffb459', 'ffff71', 'cfff60', '6fff6f', '65ffc9', '6dffff', '59b4ff', '5959ff', 'c459ff', 'ff66ff', 'ff59bc',
  'ff9c9c', 'ffd39c', 'ffff9c', 'e2ff9c', '9cff9c', '9cffdb', '9cffff', '9cd3ff', '9c9cff', 'dc9cff', 'ff9cff', 'ff94d3',
  '000000', '131313', '282828', '363636', '4d4d4d', '656565', '818181', '9f9f9f', 'bcbcbc', 'e2e2e2', 'ffffff',
];

function applyColour(span, colour, which) {
  if (colour == null || colour === 99) return;
  if (typeof colour === 'string') {
    span.style[which === 'fg' ? 'color' : 'backgroundColor'] = colour;
  } else if (colour < 16) {
    span.classList.add(`irc-${which}${colour}`);
  } else if (colour < 99) {
    span.style[which === 'fg' ? 'color' : 'backgroundColor'] = '#' + EXTENDED[colour - 16];
  }
}

// http(s) URLs and www. hosts; the match is checked again with URL().
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'\x00-\x1f]+/gi;
const TRAILING = /[.,:;!?'")\]}>]+$/;

/** The URL a matched piece of text links to, or null if it must stay text. */
export function safeHref(text) {
  const candidate = /^www\./i.test(text) ? 'https://' + text : text;
  let url;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href;
}

/** Appends `text` to `parent`, with http(s) URLs as links. */
export function appendLinkified(parent, text) {
  let last = 0;
  URL_RE.lastIndex = 0;
  for (let m; (m = URL_RE.exec(text));) {
    let match = m[0];
    // Trailing punctuation belongs to the sentence, except a closing
    // bracket whose opening one is in the URL.
    const trail = TRAILING.exec(match);
    if (trail) {
      let cut = trail[0];
      if (cut.startsWith(')') && match.includes('(')) cut = cut.slice(1);
      match = match.slice(0, match.length - cut.length);
    }
    const href = safeHref(match);
    if (!href) continue;
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    const a = el('a', 'link', match);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    parent.append(a);
    last = m.index + match.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/**
 * A fragment with `text` rendered: mIRC formatting as styled spans, links
 * clickable. Links are found in the plain text first so a formatting code
 * inside a URL does not break it.
 */
export function renderText(text) {
  const frag = document.createDocumentFragment();
  for (const run of parseFormatting(text)) {
    const plain = !run.bold && !run.italic && !run.underline && !run.strike && !run.mono && !run.reverse && run.fg == null && run.bg == null;
    if (plain) {
      appendLinkified(frag, run.text);
      continue;
    }
    const span = el('span');
    if (run.bold) span.classList.add('irc-bold');
    if (run.italic) span.classList.add('irc-italic');
    if (run.underline) span.classList.add('irc-underline');
    if (run.strike) span.classList.add('irc-strike');
    if (run.mono) span.classList.add('irc-mono');
    if (run.reverse) span.classList.add('irc-reverse');
    applyColour(span, run.fg, 'fg');
    applyColour(span, run.bg, 'bg');
    appendLinkified(span, run.text);
    frag.append(span);
  }
  return frag;
}

/** HH:MM of a date, in the local time zone. */
export function shortTime(date) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
}

/** "Today", "Yesterday" or a date, for a day separator. */
export function dayLabel(date, now = new Date()) {
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diff = Math.round((day(now) - day(date)) / 86400000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return date.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

/** The label a buffer shows: IM conversations (#conv-N) as "conversation N". */
export function bufferLabel(name) {
  const m = /^#conv-(\d+)$/i.exec(name);
  return m ? `conversation ${m[1]}` : name;
}

export function isConversation(name) {
  return /^#conv-\d+$/i.test(name);
}

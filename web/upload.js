// Shared files in the web client (issue 14): uploading a file into the
// channel or private conversation shown, by dropping it on the chat,
// pasting it or the attach button; and images shared that way shown
// under their message.
//
// The server says where files go with the IRCv3 draft/FILEHOST token
// (`<base>/files`); without it there is no attach button and nothing is
// uploaded. Uploads (POST <base>/files?to=<buffer>) and downloads carry the
// account's name and password as HTTP Basic credentials, the ones the
// connect screen gave for SASL PLAIN: so only a logged-in user can share,
// and see what others shared. They go to the server that served the page
// (the token's path on the page's origin), never to another host, and only
// links under the token's address are fetched: nothing from anywhere else.
// An <img> cannot send an Authorization header, so an image is fetched
// (raster types only, at most IMAGE_MAX bytes) into a blob: URL.

import { utf8Base64 } from './irc.js';
import { state, activeBuffer, messageDecorators } from './buffers.js';
import { el } from './render.js';
import { info } from './ui.js';

const $ = (id) => document.getElementById(id);

/** The types shown inline: the ones the server serves inline too. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);
/** The largest image shown inline, in bytes. */
const IMAGE_MAX = 10 * 1024 * 1024;
/** Images shown under one message at most. */
const IMAGES_PER_MESSAGE = 3;
/** Images fetched at once at most. */
const FETCHES_AT_ONCE = 3;
/** What follows `<base>/files/` in a file's link: its ID, then its name. */
const FILE_PATH = /^[A-Za-z0-9_-]{22}(?:\/[^/?#]*)?$/;

const NEEDS_ACCOUNT = 'Sharing files needs an account: connect again with your account\'s password '
  + '(to make an account, /msg NickServ REGISTER <password>).';

/** The server's draft/FILEHOST address, or null. */
function fileHost() {
  return state.conn ? state.conn.isupport.fileHost : null;
}

/** `url` on the server that served the page (same path). */
function onThisServer(url) {
  const u = new URL(url);
  return location.origin + u.pathname + u.search;
}

/** The Authorization header of the logged-in user, or null for a guest. */
function authorization() {
  const conn = state.conn;
  if (!conn || !conn.password || !conn.account) return null;
  return `Basic ${utf8Base64(`${conn.account}:${conn.password}`)}`;
}

/** RFC 8187 encoding of a file name for `filename*=UTF-8''...`. */
function encodeName(name) {
  return encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function humanSize(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let u = -1;
  do {
    n /= 1024;
    u++;
  } while (n >= 1024 && u < units.length - 1);
  return `${n.toFixed(1)} ${units[u]}`;
}

// --- Uploading ------------------------------------------------------------

/** Whether files can be shared into `buf`; if not, says why there. */
function mayShare(buf) {
  if (!fileHost()) {
    info('This server does not take files.', { buf, kind: 'error' });
    return false;
  }
  if (buf.type === 'server') {
    info('Files are shared in a channel or a private conversation: open one first.', { buf, kind: 'error' });
    return false;
  }
  if (!authorization()) {
    info(NEEDS_ACCOUNT, { buf, kind: 'error' });
    return false;
  }
  if (!state.conn.registered) {
    info('Not connected: the file can be shared once the connection is back.', { buf, kind: 'error' });
    return false;
  }
  return true;
}

/** Shares `files` into buffer `buf`, one after the other. */
export async function shareFiles(files, buf = activeBuffer()) {
  if (!files.length || !mayShare(buf)) return;
  for (const file of files) await upload(file, buf);
}

/** Uploads one file with a progress row; resolves when it is over. */
function upload(file, buf) {
  const list = $('uploads');
  const bar = el('progress');
  bar.max = 100;
  bar.value = 0;
  const pct = el('span', 'upload-pct', '0%');
  const cancel = el('button', 'link-button', 'Cancel');
  cancel.type = 'button';
  const name = el('span', 'upload-name', `Sharing ${file.name} (${humanSize(file.size)}) in ${buf.name}`);
  name.title = name.textContent;
  const row = el('div', 'upload', null, [name, bar, pct, cancel]);
  list.append(row);
  list.hidden = false;
  const xhr = new XMLHttpRequest();
  cancel.addEventListener('click', () => xhr.abort());
  return new Promise((resolve) => {
    const done = (error) => {
      row.remove();
      list.hidden = !list.children.length;
      if (error) info(`Could not share ${file.name} in ${buf.name}: ${error}`, { buf, kind: 'error' });
      resolve();
    };
    xhr.upload.addEventListener('progress', (ev) => {
      if (!ev.lengthComputable || !ev.total) return;
      const p = Math.floor((ev.loaded / ev.total) * 100);
      bar.value = p;
      pct.textContent = `${p}%`;
    });
    // The server posts the message that shares it (we see it come back).
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) done(null);
      else done((xhr.responseText || '').trim() || `the server answered ${xhr.status} ${xhr.statusText}`);
    });
    xhr.addEventListener('error', () => done('the connection to the server failed'));
    xhr.addEventListener('abort', () => done('cancelled'));
    try {
      xhr.open('POST', `${onThisServer(fileHost())}?to=${encodeURIComponent(buf.name)}`);
      xhr.setRequestHeader('Authorization', authorization());
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.setRequestHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeName(file.name)}`);
      xhr.send(file);
    } catch (e) {
      done(String(e.message || e));
    }
  });
}

// --- Images under their message ---------------------------------------------

/** credentials and link -> Promise of a blob: URL, for images fetched (or
 * being fetched); another account on the same page fetches its own. */
const images = new Map();
let fetching = 0;
const waiting = [];
/** Rows not seen yet -> their [{box, href}]: fetched when near the view. */
const pending = new WeakMap();
let observer = null;

/** Runs `job` (returns a promise) when fewer than FETCHES_AT_ONCE run. */
function limited(job) {
  return new Promise((resolve, reject) => {
    const run = () => {
      fetching++;
      job().then(resolve, reject).finally(() => {
        fetching--;
        if (waiting.length) waiting.shift()();
      });
    };
    if (fetching < FETCHES_AT_ONCE) run();
    else waiting.push(run);
  });
}

/** Fetches image `href` into a blob: URL; null when it is not an image to
 * show (another type, too large, not ours to see). */
async function fetchImage(href, auth) {
  const abort = new AbortController();
  const resp = await fetch(onThisServer(href), {
    headers: { Authorization: auth },
    credentials: 'omit',
    cache: 'no-store',
    redirect: 'error',
    signal: abort.signal,
  });
  const type = (resp.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  const length = Number(resp.headers.get('content-length'));
  if (!resp.ok || !IMAGE_TYPES.has(type) || !(length <= IMAGE_MAX) || !resp.body) {
    abort.abort();
    return null;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    got += value.length;
    if (got > IMAGE_MAX) {
      abort.abort();
      return null;
    }
    chunks.push(value);
  }
  return URL.createObjectURL(new Blob(chunks, { type }));
}

/** The blob: URL of image `href` (null if none), fetched once per page. */
function imageUrl(href) {
  const auth = authorization();
  if (!auth) return Promise.resolve(null);
  const key = `${auth} ${href}`;
  let p = images.get(key);
  if (!p) {
    // A failed fetch may be passing (the network): the next showing
    // tries again. An answer (an image or not) is kept.
    p = limited(() => fetchImage(href, auth)).catch(() => {
      images.delete(key);
      return null;
    });
    images.set(key, p);
  }
  return p;
}

/** Runs `grow` (which makes `row` taller) keeping the view where it was:
 * at the bottom if it was, on the same messages if `row` is above them. */
function keepView(row, grow) {
  const box = $('messages');
  if (!box.contains(row)) {
    grow();
    return;
  }
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const above = row.getBoundingClientRect().top < box.getBoundingClientRect().top;
  const height = box.scrollHeight;
  grow();
  if (atBottom) box.scrollTop = box.scrollHeight;
  else if (above) box.scrollTop += box.scrollHeight - height;
}

async function showImage(row, box, href) {
  const url = await imageUrl(href);
  if (!url) return;
  const img = el('img');
  let name = href.slice(href.lastIndexOf('/') + 1);
  try {
    name = decodeURIComponent(name);
  } catch {
    // Shown as it is.
  }
  img.alt = name;
  img.src = url;
  try {
    await img.decode();
  } catch {
    return;
  }
  const link = el('a', 'file-image', null, [img]);
  link.href = href;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  link.title = name;
  keepView(row, () => {
    box.append(link);
    box.hidden = false;
  });
}

function onVisible(seen) {
  for (const s of seen) {
    if (!s.isIntersecting) continue;
    observer.unobserve(s.target);
    const items = pending.get(s.target) || [];
    pending.delete(s.target);
    for (const { box, href } of items) showImage(s.target, box, href);
  }
}

/** A message decorator: a place under the message for each link to a file
 * on this server's FILEHOST, filled when the message comes near the view
 * (and when it is an image the user may see). */
function filePreviews(row) {
  const host = fileHost();
  if (!host || !authorization()) return;
  const prefix = `${host}/`;
  const items = [];
  for (const a of row.querySelectorAll('.body a.link')) {
    const href = a.href;
    if (!href.startsWith(prefix) || !FILE_PATH.test(href.slice(prefix.length))) continue;
    if (items.some((i) => i.href === href)) continue;
    const box = el('div', 'file-preview');
    box.hidden = true;
    row.append(box);
    items.push({ box, href });
    if (items.length >= IMAGES_PER_MESSAGE) break;
  }
  if (!items.length) return;
  pending.set(row, items);
  observer.observe(row);
}

// --- Wiring ---------------------------------------------------------------

/** Whether a drag carries files (not text or a link). */
function hasFiles(ev) {
  return !!ev.dataTransfer && [...ev.dataTransfer.types].includes('Files');
}

export function setupUploads() {
  observer = new IntersectionObserver(onVisible, { root: $('messages'), rootMargin: '800px 0px' });
  messageDecorators.push(filePreviews);

  const input = $('attach-input');
  $('attach-button').addEventListener('click', () => {
    if (mayShare(activeBuffer())) input.click();
  });
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    shareFiles(files);
  });
  $('input').addEventListener('paste', (ev) => {
    const files = ev.clipboardData ? [...ev.clipboardData.files] : [];
    if (!files.length || !fileHost()) return;
    ev.preventDefault();
    shareFiles(files);
  });

  // Dropping on the chat shares; dropping elsewhere in the page does not
  // open the file in place of the chat.
  const main = $('main');
  const overlay = $('drop-overlay');
  let depth = 0;
  const showOverlay = (on) => {
    const buf = activeBuffer();
    overlay.hidden = !on;
    $('drop-text').textContent = buf.type === 'server' ? 'Open a channel or a conversation to share files' : `Drop to share in ${buf.name}`;
  };
  main.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev) || !fileHost()) return;
    ev.preventDefault();
    depth++;
    showOverlay(true);
  });
  main.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev) || !fileHost()) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  main.addEventListener('dragleave', (ev) => {
    if (!hasFiles(ev) || !fileHost()) return;
    depth = Math.max(0, depth - 1);
    if (!depth) showOverlay(false);
  });
  main.addEventListener('drop', (ev) => {
    if (!hasFiles(ev) || !fileHost()) return;
    ev.preventDefault();
    ev.stopPropagation();
    depth = 0;
    showOverlay(false);
    shareFiles([...ev.dataTransfer.files]);
  });
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (ev) => {
      if (!hasFiles(ev) || ev.defaultPrevented) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'none';
    });
  }
}

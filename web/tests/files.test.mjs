// Shared files (issue 14): a logged-in user drops a picture on the chat;
// it is uploaded to the server's draft/FILEHOST address with the account's
// credentials, the server's message names it, and everyone logged in sees
// the picture under the message (fetched with their credentials into a
// blob: URL) with the link still there. A file that is not an image stays
// a link; the server's refusal is shown with its reason; a guest is told
// that sharing needs an account; a hostile file name stays text. Without
// draft/FILEHOST there is no attach button, and nothing is fetched.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, startNatter, launchBrowser, openUser, IrcClient, say, waitForEntry, waitFor, makePng, dropFiles,
} from './helpers.mjs';

let server;
let browser;
const clients = [];
const users = [];

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  for (const u of users) await u.context.close().catch(() => {});
  for (const c of clients) c.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Registers account `nick` with `password` over TCP, then leaves. */
async function register(nick, password) {
  const c = await IrcClient.connect(server.ircPort, nick);
  await c.sendAndExpect(`PRIVMSG NickServ :REGISTER ${password}`, (m) => m.command === '900', `${nick}'s account`);
  await c.sendAndExpect('QUIT', (m) => m.command === 'ERROR', 'the quit');
  c.close();
}

/** The pictures under the messages shown that contain `text`. */
async function picturesUnder(user, text) {
  return user.page.$$eval('#messages .msg', (rows, t) => rows
    .filter((r) => r.querySelector('.body').textContent.includes(t))
    .flatMap((r) => [...r.querySelectorAll('img')].map((img) => ({
      src: img.getAttribute('src'),
      width: img.naturalWidth,
      complete: img.complete,
      inPreview: !!img.closest('.file-preview a.file-image'),
      link: img.closest('a') ? img.closest('a').href : null,
      textLinks: [...r.querySelectorAll('.body a.link')].map((a) => a.href),
    }))), text);
}

const DOT = makePng(24, 16, (x, y) => [x * 10, y * 15, 160]);

test('a dropped picture is shared and shown inline; guests are told to log in', { skip: SKIP || false, timeout: 180000 }, async () => {
  await register('ann', 'ann-secret-pw');
  await register('bob', 'bob-secret-pw');
  const carol = await IrcClient.connect(server.ircPort, 'carol');
  clients.push(carol);
  await carol.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
  const filehost = carol.messages.find((m) => m.command === '005' && m.params.some((p) => p.startsWith('draft/FILEHOST=')));
  assert.ok(filehost, 'the server advertises draft/FILEHOST');

  const ann = await openUser(browser, server.url, 'ann', { password: 'ann-secret-pw' });
  const bob = await openUser(browser, server.url, 'bob', { password: 'bob-secret-pw' });
  const gus = await openUser(browser, server.url, 'gus');
  users.push(ann, bob, gus);
  for (const u of [ann, bob, gus]) await u.page.waitForSelector('#attach-button:not([hidden])');

  // ann drops a picture on #natter.
  await dropFiles(ann, [{ name: 'dot.png', type: 'image/png', data: DOT }]);
  const shared = await waitForEntry(bob, 'shared dot.png', { kind: 'privmsg' });
  assert.equal(shared.nick, 'ann');
  assert.match(shared.text, /shared dot\.png \(\d+ B, image\/png\): http:\/\/\S+\/files\/[A-Za-z0-9_-]{22}\/dot\.png/);
  const line = await carol.expect((m) => m.command === 'PRIVMSG' && m.params[1].startsWith('shared dot.png'), 'the message over TCP');
  const url = line.params[1].split(': ').pop();
  for (const u of [bob, ann]) {
    const [img] = await waitFor(async () => {
      const pics = await picturesUnder(u, 'shared dot.png');
      return pics.length && pics[0].complete && pics[0].width > 0 ? pics : null;
    }, `${u.nick} to see the picture`);
    assert.match(img.src, /^blob:/);
    assert.equal(img.width, 24);
    assert.ok(img.inPreview);
    // The link stays, in the text and around the picture.
    assert.equal(img.link, url);
    assert.deepEqual(img.textLinks, [url]);
  }
  await ann.page.waitForSelector('#uploads', { state: 'hidden' });

  // A file that is not a picture is shared as a link only.
  await ann.page.setInputFiles('#attach-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('some notes\n') });
  await waitForEntry(bob, 'shared notes.txt', { kind: 'privmsg' });

  // A hostile name stays text, and the picture still shows.
  const hostile = '<img src=x onerror=alert(1)>.png';
  await dropFiles(ann, [{ name: hostile, type: 'image/png', data: makePng(8, 8, () => [200, 40, 40]) }]);
  await waitForEntry(bob, `shared ${hostile}`, { kind: 'privmsg' });
  const pics = await waitFor(async () => {
    const p = await picturesUnder(bob, `shared ${hostile}`);
    return p.length && p[0].width > 0 ? p : null;
  }, 'the hostile-named picture');
  assert.equal(pics.length, 1);
  assert.match(pics[0].src, /^blob:/);
  // notes.txt was looked at before, and stayed a link.
  assert.deepEqual(await picturesUnder(bob, 'shared notes.txt'), []);
  assert.equal(await bob.page.$$eval('#messages .file-preview:not([hidden])', (p) => p.length), 2);

  // The server's refusal, with its reason: nobody is not a conversation of ann's.
  await say(ann, '/query nobody');
  await ann.page.waitForSelector('#buffers li.active[data-name="nobody"]');
  await dropFiles(ann, [{ name: 'lost.png', type: 'image/png', data: DOT }]);
  await waitForEntry(ann, 'Could not share lost.png in nobody: you cannot share into nobody', { kind: 'error' });

  // A guest has the button (the server takes files) but is told why not.
  await gus.page.click('#attach-button');
  await waitForEntry(gus, 'Sharing files needs an account', { kind: 'error' });
  await dropFiles(gus, [{ name: 'dot.png', type: 'image/png', data: DOT }]);
  await waitFor(async () => (await gus.page.$$('#messages .msg-error')).length === 2, 'a second refusal');
  // The guest sees the link, and nothing is fetched for it.
  await waitForEntry(gus, 'shared dot.png', { kind: 'privmsg' });
  assert.deepEqual(await picturesUnder(gus, 'shared dot.png'), []);

  for (const u of [ann, bob, gus]) {
    assert.deepEqual(u.dialogs, [], `${u.nick}'s dialogs`);
    assert.deepEqual(u.errors, [], `${u.nick}'s page errors`);
  }
});

test('without draft/FILEHOST there is nothing to attach with and nothing is fetched', { skip: SKIP || false, timeout: 120000 }, async () => {
  const off = await startNatter({ config: '\n[files]\nenabled = false\n' });
  try {
    const c = await IrcClient.connect(off.ircPort, 'dan');
    clients.push(c);
    await c.sendAndExpect('PRIVMSG NickServ :REGISTER dan-secret-pw', (m) => m.command === '900', "dan's account");
    await c.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
    assert.ok(!c.messages.some((m) => m.command === '005' && m.line.includes('FILEHOST')));
    const eve = await openUser(browser, off.url, 'eve');
    users.push(eve);
    const fetched = [];
    eve.page.on('request', (r) => fetched.push(r.url()));
    // A link that looks like a shared file's, on this very server.
    const link = `${off.url}files/AAAAAAAAAAAAAAAAAAAAAA/x.png`;
    c.send(`PRIVMSG #natter :shared x.png (1 B, image/png): ${link}`);
    await waitForEntry(eve, 'shared x.png');
    assert.equal(await eve.page.isHidden('#attach-button'), true);
    assert.deepEqual(fetched.filter((u) => u.includes('/files/')), []);
    assert.equal(await eve.page.$$eval('#messages .file-preview', (p) => p.length), 0);
    assert.deepEqual(eve.errors, []);
  } finally {
    await off.stop();
  }
});

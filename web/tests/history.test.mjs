// Scroll-back: 120 messages are sent before a web client user joins; the
// client shows the latest ones and loads older ones (CHATHISTORY BEFORE)
// each time the user scrolls to the top, until the first message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, startNatter, launchBrowser, openUser, IrcClient, entries, waitFor } from './helpers.mjs';

let server;
let browser;
let carol;
let alice;

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  if (alice) await alice.context.close().catch(() => {});
  if (carol) carol.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

const label = (i) => `history message ${String(i).padStart(3, '0')}`;

async function shownNumbers(user) {
  return (await entries(user))
    .filter((e) => e.kind === 'privmsg')
    .map((e) => Number(/history message (\d+)/.exec(e.text)?.[1]));
}

test('scrolling to the top loads older messages until the first', { skip: SKIP || false, timeout: 180000 }, async () => {
  carol = await IrcClient.connect(server.ircPort, 'carol');
  await carol.sendAndExpect('JOIN #history', (m) => m.command === '366', 'end of NAMES');
  for (let i = 1; i <= 120; i++) carol.send(`PRIVMSG #history :${label(i)}`);
  // A round trip after the last message: the server has stored them all.
  await carol.sendAndExpect('PING :sync', (m) => m.command === 'PONG', 'PONG');

  alice = await openUser(browser, server.url, 'alice', { channels: '#history' });
  // On join the client asks for the latest 50 and shows them at the bottom.
  await waitFor(async () => (await shownNumbers(alice)).includes(120), 'the newest message');
  const first = await shownNumbers(alice);
  assert.ok(first.length >= 50 && first.length < 120, `a page of history at first (${first.length})`);
  assert.ok(!first.includes(1), 'not all history at once');
  assert.equal(await alice.page.$eval('#messages', (b) => b.scrollHeight - b.scrollTop - b.clientHeight < 40), true, 'scrolled to the bottom');

  // Scroll to the top until message 001 shows; each scroll loads a page.
  let scrolls = 0;
  await waitFor(async () => {
    const shown = await shownNumbers(alice);
    if (shown.includes(1)) return true;
    const loading = await alice.page.$('#history-loader .loading');
    if (!loading) {
      await alice.page.$eval('#messages', (b) => { b.scrollTop = 0; });
      scrolls++;
    }
    return false;
  }, 'message 001 after scrolling up', 30000);
  assert.ok(scrolls >= 2, `older messages came in pages (${scrolls} scrolls)`);

  const all = await shownNumbers(alice);
  assert.deepEqual(all, Array.from({ length: 120 }, (_, i) => i + 1), 'every message once, in order');
  // Loading older messages keeps the view where it was: not at the bottom.
  assert.equal(await alice.page.$eval('#messages', (b) => b.scrollTop > 0), true);
  await alice.page.$eval('#messages', (b) => { b.scrollTop = 0; });
  await alice.page.waitForSelector('#history-loader .history-end');
  assert.deepEqual(alice.errors, []);
});

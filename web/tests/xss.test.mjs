// Hostile text stays text: HTML in messages, topics, actions, notices and
// nicks' messages is shown literally and runs nothing; a javascript: URL
// never becomes a link; http(s) links open safely; formatting renders.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, startNatter, launchBrowser, openUser, IrcClient, waitForEntry, waitFor } from './helpers.mjs';

let server;
let browser;
let mallory;
let alice;

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  if (alice) await alice.context.close().catch(() => {});
  if (mallory) mallory.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

const IMG = '<img src=x onerror=alert(1)>';
const IMG2 = '<img src=x onerror="window.pwned=1">';
const SCRIPT = '<script>alert(2)</script>';
const JS = 'javascript:alert(1)';

test('markup and javascript: URLs from the network are shown as text and run nothing', { skip: SKIP || false, timeout: 180000 }, async () => {
  mallory = await IrcClient.connect(server.ircPort, 'mallory');
  await mallory.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
  mallory.send(`TOPIC #natter :${IMG2} topic`);
  alice = await openUser(browser, server.url, 'alice');

  mallory.send(`PRIVMSG #natter :${IMG}`);
  mallory.send(`PRIVMSG #natter :${IMG2} and ${SCRIPT}`);
  mallory.send(`PRIVMSG #natter :click ${JS} now`);
  mallory.send('PRIVMSG #natter :or <a href="javascript:alert(3)">this</a> or JavaScript:alert(4)');
  mallory.send('PRIVMSG #natter :safe https://example.org/a?b=1&c=2 and http://example.com/path).');
  mallory.send(`PRIVMSG #natter :\x01ACTION ${IMG}\x01`);
  mallory.send(`NOTICE #natter :${SCRIPT}`);
  mallory.send('PRIVMSG #natter :\x02bold\x02 \x1ditalic\x1d \x1funder\x1f \x0304,01red on black\x03 \x11mono\x11 \x16rev\x0f plain \x0352ext\x03');
  mallory.send(`PRIVMSG alice :${IMG} in private`);
  mallory.send('PRIVMSG #natter :the end');

  await waitForEntry(alice, 'the end');
  const img = await waitForEntry(alice, IMG, { kind: 'privmsg' });
  assert.equal(img.text, `mallory${IMG}`);
  await waitForEntry(alice, `${IMG2} and ${SCRIPT}`, { kind: 'privmsg' });
  await waitForEntry(alice, `click ${JS} now`, { kind: 'privmsg' });
  await waitForEntry(alice, '<a href="javascript:alert(3)">this</a>', { kind: 'privmsg' });
  await waitForEntry(alice, IMG, { kind: 'action' });
  await waitForEntry(alice, SCRIPT, { kind: 'notice' });
  await waitFor(async () => (await alice.page.textContent('#topic')) === `${IMG2} topic`, 'the topic shown literally');
  await alice.page.waitForSelector('#buffers li[data-name="mallory"]');

  const page = alice.page;
  // No element came from the text: no images, scripts or iframes anywhere
  // in the chat, and no link other than the two http(s) ones.
  assert.equal(await page.$$eval('#chat img, #chat script, #chat iframe', (n) => n.length), 0);
  const links = await page.$$eval('#messages a', (as) => as.map((a) => ({
    href: a.getAttribute('href'), text: a.textContent, rel: a.rel, target: a.target,
  })));
  assert.deepEqual(links, [
    { href: 'https://example.org/a?b=1&c=2', text: 'https://example.org/a?b=1&c=2', rel: 'noopener noreferrer', target: '_blank' },
    { href: 'http://example.com/path', text: 'http://example.com/path', rel: 'noopener noreferrer', target: '_blank' },
  ]);
  assert.equal(await page.$$eval('a[href^="javascript" i]', (n) => n.length), 0);

  // Formatting became styled spans.
  const fmt = await page.$$eval('#messages .msg', (rows) => {
    const row = rows.find((r) => r.textContent.includes('red on black'));
    const cls = (t) => [...row.querySelectorAll('span')].find((s) => s.textContent === t)?.className || '';
    const ext = [...row.querySelectorAll('span')].find((x) => x.textContent === 'ext');
    return {
      bold: cls('bold'), italic: cls('italic'), under: cls('under'), red: cls('red on black'), mono: cls('mono'), rev: cls('rev'),
      ext: ext ? getComputedStyle(ext).color : '',
    };
  });
  assert.match(fmt.bold, /irc-bold/);
  assert.match(fmt.italic, /irc-italic/);
  assert.match(fmt.under, /irc-underline/);
  assert.match(fmt.red, /irc-fg4/);
  assert.match(fmt.red, /irc-bg1/);
  assert.match(fmt.mono, /irc-mono/);
  assert.match(fmt.rev, /irc-reverse/);
  assert.equal(fmt.ext, 'rgb(255, 0, 0)', 'colour 52 of the extended palette (set through CSSOM, which the CSP allows)');

  // Nothing ran.
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(alice.dialogs, [], 'no alert() dialog fired');
  assert.deepEqual(alice.errors, []);
  // The client itself keeps to the server's Content-Security-Policy.
  assert.deepEqual(alice.console.filter((m) => /Content.Security.Policy/i.test(m)), []);

  // The private message too.
  await page.click('#buffers li[data-name="mallory"] .buffer-button');
  await waitForEntry(alice, `${IMG} in private`, { kind: 'privmsg' });
  assert.equal(await page.$$eval('#chat img', (n) => n.length), 0);
  assert.deepEqual(alice.dialogs, []);
});

// Two web client users and an IRC client over TCP in one channel and in
// private: messages both ways, highlights, actions, and the join, part,
// nick, topic and mode changes each of them shows.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SKIP, startNatter, launchBrowser, openUser, IrcClient, say, show, entries,
  waitForEntry, members, waitFor,
} from './helpers.mjs';

const RECORD_NOTIFICATIONS = () => {
  window.shownNotifications = [];
  window.Notification = class {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, options) { window.shownNotifications.push([title, options.body]); }
    addEventListener() {}
    close() {}
  };
};

let server;
let browser;
let carol;
let alice;
let bob;

before(async () => {
  if (SKIP) return;
  server = await startNatter();
  browser = await launchBrowser();
});

after(async () => {
  for (const u of [alice, bob]) if (u) await u.context.close().catch(() => {});
  if (carol) carol.close();
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('users chat in a channel and in private, and see who comes, goes and changes', { skip: SKIP || false, timeout: 180000 }, async () => {
  carol = await IrcClient.connect(server.ircPort, 'carol');
  await carol.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');

  // alice allows notifications; the page's Notification is a recorder.
  alice = await openUser(browser, server.url, 'alice', { permissions: ['notifications'], initScript: RECORD_NOTIFICATIONS });
  await carol.expect((m) => m.command === 'JOIN' && m.nick === 'alice', 'alice joining');
  await waitFor(async () => (await members(alice)).join(' ') === '@carol alice', 'alice to see @carol and herself');

  bob = await openUser(browser, server.url, 'bob');
  await waitForEntry(alice, 'bob joined', { kind: 'join' });
  await waitFor(async () => (await members(bob)).join(' ') === '@carol alice bob', "bob's member list");

  // Channel messages, browser to everyone.
  await say(alice, 'hello from alice');
  const got = await carol.expect((m) => m.command === 'PRIVMSG' && m.params[1] === 'hello from alice', "alice's message");
  assert.equal(got.nick, 'alice');
  assert.equal(got.params[0], '#natter');
  const seen = await waitForEntry(bob, 'hello from alice', { kind: 'privmsg' });
  assert.equal(seen.nick, 'alice');

  // TCP to the browsers; a mention of alice is her highlight only.
  carol.send('PRIVMSG #natter :hi alice, carol here');
  const mention = await waitForEntry(alice, 'hi alice, carol here');
  assert.equal(mention.highlight, true);
  assert.equal(mention.nick, 'carol');
  assert.equal((await waitForEntry(bob, 'hi alice, carol here')).highlight, false);

  // An action.
  await say(bob, '/me waves');
  await waitForEntry(alice, 'waves', { kind: 'action' });
  await carol.expect((m) => m.command === 'PRIVMSG' && m.params[1] === '\x01ACTION waves\x01', "bob's action");

  // Notifications only once the user turns them on (a click).
  assert.equal(await alice.page.textContent('#notify-button'), 'Enable notifications');
  await alice.page.click('#notify-button');
  assert.equal(await alice.page.textContent('#notify-button'), 'Notifications on');

  // Private: carol over TCP to alice; a tab with an unread badge opens,
  // and alice (looking at #natter) is notified.
  carol.send('PRIVMSG alice :psst, alice');
  await alice.page.waitForSelector('#buffers li[data-name="carol"] .badge');
  assert.deepEqual(await alice.page.evaluate(() => window.shownNotifications), [['carol', 'psst, alice']]);
  await show(alice, 'carol');
  await waitForEntry(alice, 'psst, alice', { kind: 'privmsg' });
  await say(alice, 'hi carol, privately');
  const pm = await carol.expect((m) => m.command === 'PRIVMSG' && m.params[1] === 'hi carol, privately', "alice's private message");
  assert.equal(pm.params[0], 'carol');

  // Private between the two browsers, opened with /query.
  await say(alice, '/query bob');
  await alice.page.waitForSelector('#buffers li.active[data-name="bob"]');
  await say(alice, 'a secret for bob');
  await bob.page.waitForSelector('#buffers li[data-name="alice"]');
  await show(bob, 'alice');
  await waitForEntry(bob, 'a secret for bob', { kind: 'privmsg' });
  await show(bob, '#natter');
  await show(alice, '#natter');

  // WHOIS replies show where it was asked.
  await say(alice, '/whois carol');
  await waitForEntry(alice, 'carol is ~carol@127.0.0.1 (carol over TCP)', { kind: 'whois' });

  // Away (away-notify): dimmed in the member list, and back.
  await say(bob, '/away lunch');
  await alice.page.waitForSelector('#members li.away[data-nick="bob"]');
  await say(bob, '/away');
  await alice.page.waitForSelector('#members li.away[data-nick="bob"]', { state: 'detached' });

  // The channel list: #natter with its three users; a new name joins.
  await bob.page.click('#join-button');
  await bob.page.waitForSelector('#list-body li[data-name="#natter"]');
  assert.match(await bob.page.textContent('#list-body li[data-name="#natter"]'), /3 users/);
  await bob.page.fill('#list-filter', '#newroom');
  await bob.page.press('#list-filter', 'Enter');
  await bob.page.waitForSelector('#buffers li.active[data-name="#newroom"]');
  assert.equal(await bob.page.isVisible('#list-dialog'), false);
  await show(bob, '#natter');

  // Topic and modes: carol (the channel's first member) is its operator.
  carol.send('TOPIC #natter :Welcome to natter');
  await waitForEntry(alice, 'changed the topic to: Welcome to natter', { kind: 'topic' });
  await waitFor(async () => (await alice.page.textContent('#topic')) === 'Welcome to natter', "alice's topic bar");
  await say(bob, '/topic bob was here');
  // The channel is +t: the server refuses, and bob sees why.
  await waitFor(async () => (await entries(bob)).some((e) => e.kind === 'error' && e.text.includes('#natter')), "bob's error line");
  carol.send('MODE #natter +o alice');
  await waitForEntry(alice, 'carol sets mode +o alice', { kind: 'mode' });
  await waitFor(async () => (await members(bob)).join(' ') === '@alice @carol bob', 'ops listed first');
  await say(alice, '/topic A topic from the browser');
  const topic = await carol.expect((m) => m.command === 'TOPIC' && m.nick === 'alice', "alice's TOPIC");
  assert.equal(topic.params[1], 'A topic from the browser');
  await waitFor(async () => (await bob.page.textContent('#topic')) === 'A topic from the browser', "bob's topic bar");

  // Nick change from a browser.
  await say(bob, '/nick bobby');
  await carol.expect((m) => m.command === 'NICK' && m.nick === 'bob' && m.params[0] === 'bobby', 'the NICK');
  await waitForEntry(alice, 'bob is now known as bobby', { kind: 'nick' });
  await waitFor(async () => (await members(alice)).includes('bobby'), "bobby in alice's list");
  await waitFor(async () => (await bob.page.textContent('#own-nick')) === 'bobby', "bob's own nick shown");

  // Part from TCP, part from a browser (closing the buffer).
  carol.send('PART #natter :see you');
  await waitForEntry(alice, 'carol left (see you)', { kind: 'part' });
  await waitFor(async () => !(await members(alice)).some((m) => m.includes('carol')), 'carol gone from the list');
  await bob.page.click('#buffers li[data-name="#natter"] .buffer-close');
  await waitForEntry(alice, 'bobby left', { kind: 'part' });
  await bob.page.waitForSelector('#buffers li[data-name="#natter"]', { state: 'detached' });

  // A quit shows in the channels the quitter shared.
  const dave = await IrcClient.connect(server.ircPort, 'dave');
  await dave.sendAndExpect('JOIN #natter', (m) => m.command === '366', 'end of NAMES');
  await waitForEntry(alice, 'dave joined', { kind: 'join' });
  dave.send('QUIT :off');
  const quit = await waitForEntry(alice, 'dave quit (', { kind: 'quit' });
  assert.match(quit.text, /off\)$/);
  await waitFor(async () => (await members(alice)).join(' ') === '@alice', 'alice alone in #natter');
  dave.close();

  // On a phone-sized screen the sidebar and the member list fold away
  // behind their buttons.
  await bob.page.setViewportSize({ width: 390, height: 844 });
  const inView = (sel) => bob.page.$eval(sel, (el) => {
    const r = el.getBoundingClientRect();
    return r.right > 1 && r.left < innerWidth - 1;
  });
  await waitFor(async () => !(await inView('#sidebar')), 'the sidebar folded');
  await bob.page.click('#menu-button');
  await waitFor(() => inView('#sidebar'), 'the sidebar sliding in');
  await bob.page.click('#buffers li[data-name="#newroom"] .buffer-button');
  await waitFor(async () => !(await inView('#sidebar')), 'the sidebar folding after a choice');
  await waitFor(async () => !(await inView('#members-pane')), 'the member list folded');
  await bob.page.click('#members-button');
  await waitFor(() => inView('#members-pane'), 'the member list sliding in');
  assert.deepEqual(await members(bob), ['@bobby']);

  for (const u of [alice, bob]) {
    assert.deepEqual(u.errors, [], `${u.nick}'s page had no script errors`);
    assert.deepEqual(u.dialogs, []);
  }
});

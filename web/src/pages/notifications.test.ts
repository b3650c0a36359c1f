import { describe, expect, it } from 'vitest';
import { COLLECTIONS, fullMatrix } from '../perms';
import { NAV } from '../nav';
import { EVENTS, destination, type NotificationChannel } from './notifications';

const base = { id: 'nch_1', name: 'ops', verified: true, last_error: null };

describe('notifications page', () => {
  it('never shows a Slack or Discord URL, only that one is stored', () => {
    const slack: NotificationChannel = { ...base, type: 'slack', url: { set: true } };
    expect(destination(slack)).toMatch(/Slack webhook URL \(stored encrypted, write-only\)/);
    const hook: NotificationChannel = { ...base, type: 'webhook', url: 'https://hooks.example.com/x', signing_secret: { set: true } };
    expect(destination(hook)).toBe('https://hooks.example.com/x');
    const mail: NotificationChannel = { ...base, type: 'email', addresses: ['a@example.com', 'b@example.com'] };
    expect(destination(mail)).toBe('a@example.com, b@example.com');
  });
  it('the role editor matrix has a notifications row and the nav a Notifications entry', () => {
    expect(COLLECTIONS.map((c) => c.key)).toContain('notifications');
    expect(Object.keys(fullMatrix({}))).toContain('notifications');
    const items = NAV.flatMap((s) => s.items);
    expect(items.find((i) => i.path === '/notifications')?.need).toBe('notifications.read');
  });
  it('offers the events the API names', () => {
    for (const e of ['deployment.failed', 'backup.missed', 'server.unreachable', 'security.token_created']) expect(EVENTS).toContain(e);
  });
});

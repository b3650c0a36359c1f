import { describe, expect, it } from 'vitest';
import { COLLECTIONS, fullMatrix } from '../perms';
import { NAV } from '../nav';
import { EVENTS, destination, rotationText, type NotificationChannel } from './notifications';

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
  it('says when a webhook secret was rotated and until when the old one signs', () => {
    const fmt = (t: string) => t.slice(0, 10);
    const hook: NotificationChannel = { ...base, type: 'webhook', url: 'https://h.example.com', signing_secret: { set: true } };
    expect(rotationText(hook, fmt)).toBe('');
    hook.signing_secret = { set: true, rotated_at: '2026-12-01T10:00:00Z' };
    expect(rotationText(hook, fmt)).toBe('Signing secret rotated 2026-12-01.');
    hook.signing_secret = { set: true, rotated_at: '2026-12-01T10:00:00Z', previous_expires_at: '2026-12-02T10:00:00Z' };
    expect(rotationText(hook, fmt)).toBe('Signing secret rotated 2026-12-01; the old secret also signs until 2026-12-02.');
  });
  it('offers the events the API names', () => {
    for (const e of ['deployment.failed', 'backup.missed', 'server.unreachable', 'security.token_created']) expect(EVENTS).toContain(e);
  });
});

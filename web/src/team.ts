// Pure helpers about an organisation's team, shared by the overview and the Team page.
import type { Org } from './api';

export function seatText(o: Org): string {
  return o.seat_limit > 0 ? `${o.seats_used} of ${o.seat_limit} seats used` : `${o.seats_used} seats used (no limit)`;
}

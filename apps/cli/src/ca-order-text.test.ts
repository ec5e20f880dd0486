import { describe, expect, it } from 'vitest';
import { caOrderText } from './ca-order-text.js';

describe('the open CA order in certs get', () => {
  it('says which order waits at the CA, its state, the next check and the deadline', () => {
    expect(
      caOrderText({
        job_id: 'job-1',
        order_id: '9000001',
        state: 'pending approval',
        job_status: 'waiting_on_ca',
        next_check_at: '2026-12-07T22:00:00.000Z',
        deadline: '2026-12-08T21:00:00.000Z',
        checks: 3,
      }),
    ).toBe(
      'order 9000001 pending at the CA: pending approval (job job-1 waiting_on_ca; next check 2026-12-07T22:00:00.000Z, given up at 2026-12-08T21:00:00.000Z)',
    );
  });

  it('leaves out what the CA did not say', () => {
    expect(
      caOrderText({
        job_id: 'job-2',
        order_id: 'A-7',
        state: null,
        job_status: 'pending',
        next_check_at: '2026-12-07T22:00:00.000Z',
        deadline: null,
        checks: 1,
      }),
    ).toBe('order A-7 pending at the CA (job job-2 pending; next check 2026-12-07T22:00:00.000Z)');
  });
});

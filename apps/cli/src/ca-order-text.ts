import type { components } from '@certctl/client';

type CaOrder = components['schemas']['CaOrder'];

/** A certificate's open CA order in one line for people: `certs get` prints it instead of the JSON object. */
export function caOrderText(order: CaOrder): string {
  const state = order.state ? `: ${order.state}` : '';
  const deadline = order.deadline ? `, given up at ${order.deadline}` : '';
  return `order ${order.order_id} pending at the CA${state} (job ${order.job_id} ${order.job_status}; next check ${order.next_check_at}${deadline})`;
}

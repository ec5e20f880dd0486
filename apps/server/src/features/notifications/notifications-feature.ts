import { defineServerFeature } from '../server-feature.js';
import { notificationSettings } from './notification-config.js';
import { rowsByStatusGauge } from '../status-gauge.js';
import { notificationLoops } from './notification-loops.js';
import { notificationRoutes } from './notification-routes.js';

/** Notifiers, alert routing, the outbox with retries and dead letters, expiry alerts and the digest. */
export const notificationsFeature = defineServerFeature({
  name: 'notifications',
  settings: notificationSettings,
  setup: ({ deps, config }) => ({
    api: [{ name: 'notifications', routes: notificationRoutes(deps) }],
    loops: notificationLoops(deps, config.scheduler),
    gauges: [
      rowsByStatusGauge(
        deps,
        'notificationOutbox',
        'certctl_notification_outbox',
        'Notification outbox rows by status (dead = dead letters)',
      ),
    ],
  }),
});

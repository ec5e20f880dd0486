/** The connector's name in error messages and logs: `[certctl] [target-caddy] ...`. */
export const CONNECTOR = 'target-caddy';

/** The connector's name in error messages and logs: `[certctl] [target-azurekv] ...`. */
export const CONNECTOR = 'target-azurekv';

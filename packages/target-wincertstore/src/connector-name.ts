/** The connector's name in error messages and logs: `[certctl] [target-wincertstore] ...`. */
export const CONNECTOR = 'target-wincertstore';

/** The connector's name in error messages and logs: `[certctl] [target-iis] ...`. */
export const CONNECTOR = 'target-iis';

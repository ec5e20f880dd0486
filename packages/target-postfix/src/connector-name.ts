/** The connector's name in error messages and logs: `[certctl] [target-postfix] ...`. */
export const CONNECTOR = 'target-postfix';

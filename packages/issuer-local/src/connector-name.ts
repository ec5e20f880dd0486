/** The connector's name in error messages and logs: `[certctl] [issuer-local] ...`. */
export const CONNECTOR = 'issuer-local';

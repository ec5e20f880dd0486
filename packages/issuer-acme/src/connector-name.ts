/** The connector id used in error messages and logs. */
export const CONNECTOR = 'issuer-acme';

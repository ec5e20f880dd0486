/** The connector's name in error messages and logs. */
export const CONNECTOR = 'discovery-awssm';

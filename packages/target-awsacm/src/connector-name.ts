/** The connector's name in error messages and logs: `[certctl] [target-awsacm] ...`. */
export const CONNECTOR = 'target-awsacm';

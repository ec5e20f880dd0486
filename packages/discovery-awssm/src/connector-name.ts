export const CONNECTOR = 'discovery-awssm';

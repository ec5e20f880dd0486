import type { Timestamp } from '../../db/column-types.js';

/** Intune challenges already used: single use on every replica, and the per-device enrolment count. */
export interface ScepIntuneChallengesTable {
  replayKey: string;
  scepProfile: string;
  deviceSubject: string;
  deviceIssuer: string;
  consumedAt: Timestamp;
  keepUntil: Timestamp;
}

export interface ScepTables {
  scepIntuneChallenges: ScepIntuneChallengesTable;
}

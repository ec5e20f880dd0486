import { startDovecot } from './test-support/dovecot-instance.js';
import { describeMailServer } from './test-support/mail-server-suite.js';

describeMailServer({ mode: 'dovecot', starttls: 'imap', fileOwner: 'dovecot', start: startDovecot });

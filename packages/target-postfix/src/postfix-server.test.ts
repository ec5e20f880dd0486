import { describeMailServer } from './test-support/mail-server-suite.js';
import { startPostfix } from './test-support/postfix-instance.js';

describeMailServer({ mode: 'postfix', starttls: 'smtp', fileOwner: 'postfix', start: startPostfix });

import { startPostfix } from './test-support/postfix-instance.js';
import { describeMailServer } from './test-support/mail-server-suite.js';

describeMailServer({ mode: 'postfix', starttls: 'smtp', fileOwner: 'postfix', start: startPostfix });

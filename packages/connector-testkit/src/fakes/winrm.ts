import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  fileTime,
  ntowfv2,
  parseNtlmAuthenticate,
  POWERSHELL_ARGUMENTS,
  scriptFromPowerShellStdin,
  WSMAN_ACTIONS,
  WSMAN_COMMAND_DONE,
  WSMAN_NAMESPACES,
  WSMAN_SHELL_RESOURCE,
} from '@certctl/connector-utils';
import { type FakeRequest, type FakeResponse, type RecordedRequest, startFakeVendor } from '../fake-vendor.js';
import type { TestCa } from '../test-pki.js';
import type { FakeWindowsHost } from './windows-host.js';

export interface FakeWinRm {
  /** `https://127.0.0.1:<port>/wsman`. */
  endpoint: string;
  caPem: string;
  requests: RecordedRequest[];
  /** WS-Management actions accepted, in order (`Create`, `Command`, `Send`, `Receive`, `Signal`, `Delete`). */
  actions: string[];
  /** Shells still open (a client must delete what it creates). */
  openShells(): number;
  close(): Promise<void>;
}

export interface StartFakeWinRmOptions {
  host: FakeWindowsHost;
  /** `DOMAIN\user` or `user`. */
  username: string;
  password: string;
  auth: 'basic' | 'ntlm';
  ca?: TestCa;
}

const SOAP = 'application/soap+xml;charset=UTF-8';
const ACTION_NAMES = Object.fromEntries(Object.entries(WSMAN_ACTIONS).map(([k, v]) => [v, k])) as Record<
  string,
  string
>;

const envelope = (action: string, body: string) =>
  `<s:Envelope xmlns:s="${WSMAN_NAMESPACES.s}" xmlns:a="${WSMAN_NAMESPACES.a}" xmlns:w="${WSMAN_NAMESPACES.w}" xmlns:rsp="${WSMAN_NAMESPACES.rsp}"><s:Header><a:Action>${action}Response</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To></s:Header><s:Body>${body}</s:Body></s:Envelope>`;

function fault(subcode: string, code: number, message: string): FakeResponse {
  return {
    status: 500,
    headers: { 'content-type': SOAP },
    body: `<s:Envelope xmlns:s="${WSMAN_NAMESPACES.s}" xmlns:w="${WSMAN_NAMESPACES.w}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">${message}</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="${code}" Machine="fake-iis"><f:Message>${message}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`,
  };
}

const text = (xml: string, name: string) =>
  new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml)?.[1];

/** An NTLM CHALLENGE_MESSAGE with a target info that carries a timestamp (as Windows sends). */
function challengeMessage(serverChallenge: Buffer): Buffer {
  const av = (id: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(value.length, 2);
    return Buffer.concat([head, value]);
  };
  const targetInfo = Buffer.concat([
    av(2, Buffer.from('FAKE', 'utf16le')),
    av(1, Buffer.from('FAKE-IIS', 'utf16le')),
    av(7, fileTime(new Date())),
    Buffer.alloc(4),
  ]);
  const message = Buffer.alloc(48);
  message.write('NTLMSSP\0', 0, 'latin1');
  message.writeUInt32LE(2, 8);
  message.writeUInt32LE(0xa2898205, 20);
  serverChallenge.copy(message, 24);
  message.writeUInt16LE(targetInfo.length, 40);
  message.writeUInt16LE(targetInfo.length, 42);
  message.writeUInt32LE(48, 44);
  return Buffer.concat([message, targetInfo]);
}

/**
 * A WinRM listener (HTTPS, `/wsman`) in front of a fake Windows host: Basic or NTLM (Negotiate,
 * NTLMv2 verified against the password, bound to the connection), SOAP 1.2 envelopes checked for
 * the WS-Management addressing headers, the cmd shell resource, the action and the shell selector,
 * and the remote shell life cycle (Create, Command, Send, Receive, Signal, Delete). The only command
 * it runs is powershell.exe with the certctl stdin bootstrap; the script goes to the host.
 */
export async function startFakeWinRm(options: StartFakeWinRmOptions): Promise<FakeWinRm> {
  const shells = new Map<string, { commands: Map<string, { stdin: string; done: boolean }> }>();
  const actions: string[] = [];
  const ntlm = new Map<number, { challenge?: Buffer; authenticated: boolean }>();
  const [domain, user] = options.username.includes('\\') ? options.username.split('\\', 2) : ['', options.username];
  let endpoint = '';

  const unauthorized = (header: string): FakeResponse => ({
    status: 401,
    headers: { 'www-authenticate': header, 'content-length': '0' },
    body: '',
  });

  const authenticate = (request: FakeRequest): FakeResponse | undefined => {
    const authorization = request.headers.authorization ?? '';
    if (options.auth === 'basic') {
      const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
      return authorization === expected ? undefined : unauthorized('Basic realm="WSMAN"');
    }
    const state = ntlm.get(request.connection!) ?? { authenticated: false };
    ntlm.set(request.connection!, state);
    const token = /^Negotiate ([A-Za-z0-9+/=]+)$/.exec(authorization)?.[1];
    if (!token) return state.authenticated ? undefined : unauthorized('Negotiate');
    const message = Buffer.from(token, 'base64');
    const type = message.length >= 12 ? message.readUInt32LE(8) : 0;
    if (type === 1) {
      state.challenge = randomBytes(8);
      state.authenticated = false;
      return unauthorized(`Negotiate ${challengeMessage(state.challenge).toString('base64')}`);
    }
    if (type !== 3 || !state.challenge) return unauthorized('Negotiate');
    try {
      const auth = parseNtlmAuthenticate(message);
      const proof = auth.ntChallengeResponse.subarray(0, 16);
      const temp = auth.ntChallengeResponse.subarray(16);
      const expected = createHmac('md5', ntowfv2(options.password, user!, domain!))
        .update(Buffer.concat([state.challenge, temp]))
        .digest();
      const nameMatches =
        auth.user.toUpperCase() === user!.toUpperCase() && auth.domain.toUpperCase() === domain!.toUpperCase();
      if (!nameMatches || proof.length !== 16 || !timingSafeEqual(proof, expected)) return unauthorized('Negotiate');
    } catch {
      return unauthorized('Negotiate');
    }
    state.challenge = undefined;
    state.authenticated = true;
    return undefined;
  };

  const handle = (request: FakeRequest): FakeResponse => {
    if (request.path !== '/wsman') return { status: 404, body: '' };
    if (request.method !== 'POST') return { status: 405, body: '' };
    const refusal = authenticate(request);
    if (refusal) return refusal;
    const xml = request.text();
    // The NTLM negotiate leg carries no envelope.
    if (xml === '') return { status: 200, body: '' };
    if (!request.headers['content-type']?.toLowerCase().startsWith('application/soap+xml')) {
      return { status: 415, body: '' };
    }
    for (const ns of Object.values(WSMAN_NAMESPACES)) {
      if (!xml.includes(`"${ns}"`))
        return fault('InvalidMessageInformationHeader', 2150858817, `missing namespace ${ns}`);
    }
    if (text(xml, 'To') !== endpoint)
      return fault('DestinationUnreachable', 2150858770, `wrong a:To ${text(xml, 'To')}`);
    if (!/^uuid:[0-9A-F-]{36}$/i.test(text(xml, 'MessageID') ?? '')) {
      return fault('InvalidMessageInformationHeader', 2150858817, 'a:MessageID must be a uuid');
    }
    if (text(xml, 'ResourceURI') !== WSMAN_SHELL_RESOURCE) {
      return fault(
        'InvalidResourceURI',
        2150858778,
        'The WS-Management service cannot process the request because the resource URI is not valid.',
      );
    }
    const action = text(xml, 'Action') ?? '';
    const name = ACTION_NAMES[action];
    if (!name) return fault('ActionNotSupported', 2150858771, `unsupported action ${action}`);
    const body = text(xml, 'Body') ?? '';
    if (name === 'create') {
      if (!/<rsp:InputStreams>stdin<\/rsp:InputStreams>/.test(body))
        return fault('SchemaValidationError', 2150858817, 'no stdin stream');
      const shellId = randomUUID().toUpperCase();
      shells.set(shellId, { commands: new Map() });
      actions.push('Create');
      return {
        headers: { 'content-type': SOAP },
        body: envelope(
          action,
          `<rsp:Shell><rsp:ShellId>${shellId}</rsp:ShellId><rsp:ResourceUri>${WSMAN_SHELL_RESOURCE}</rsp:ResourceUri><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`,
        ),
      };
    }
    const shellId = /<w:Selector Name="ShellId">([^<]+)<\/w:Selector>/.exec(xml)?.[1] ?? '';
    const shell = shells.get(shellId);
    if (!shell) {
      return fault(
        'InvalidSelectors',
        2150858843,
        'The request for the Windows Remote Shell with ShellId failed because the shell was not found on the server.',
      );
    }
    actions.push(name[0]!.toUpperCase() + name.slice(1));
    if (name === 'delete') {
      shells.delete(shellId);
      return { headers: { 'content-type': SOAP }, body: envelope(action, '') };
    }
    if (name === 'command') {
      const command = text(body, 'Command');
      const args = [...body.matchAll(/<rsp:Arguments>([\s\S]*?)<\/rsp:Arguments>/g)].map((m) => m[1]);
      if (command !== 'powershell.exe' || JSON.stringify(args) !== JSON.stringify(POWERSHELL_ARGUMENTS)) {
        return fault('AccessDenied', 5, 'the fake runs only powershell.exe with the certctl stdin bootstrap');
      }
      const commandId = randomUUID().toUpperCase();
      shell.commands.set(commandId, { stdin: '', done: false });
      return {
        headers: { 'content-type': SOAP },
        body: envelope(
          action,
          `<rsp:CommandResponse><rsp:CommandId>${commandId}</rsp:CommandId></rsp:CommandResponse>`,
        ),
      };
    }
    const commandId = /CommandId="([^"]+)"/.exec(body)?.[1] ?? '';
    const command = shell.commands.get(commandId);
    if (!command) return fault('InvalidParameter', 87, 'unknown CommandId');
    if (name === 'send') {
      const stream = /<rsp:Stream Name="stdin" CommandId="[^"]+"(?: End="true")?>([\s\S]*?)<\/rsp:Stream>/.exec(body);
      if (!stream) return fault('SchemaValidationError', 2150858817, 'no stdin stream');
      command.stdin += Buffer.from(stream[1]!, 'base64').toString('utf8');
      return { headers: { 'content-type': SOAP }, body: envelope(action, '<rsp:SendResponse/>') };
    }
    if (name === 'receive') {
      const result = options.host.runScript(scriptFromPowerShellStdin(command.stdin));
      command.done = true;
      const stream = (n: string, data: string) =>
        `<rsp:Stream Name="${n}" CommandId="${commandId}">${Buffer.from(data).toString('base64')}</rsp:Stream><rsp:Stream Name="${n}" CommandId="${commandId}" End="true"></rsp:Stream>`;
      return {
        headers: { 'content-type': SOAP },
        body: envelope(
          action,
          `<rsp:ReceiveResponse>${stream('stdout', result.stdout)}${stream('stderr', result.stderr)}<rsp:CommandState CommandId="${commandId}" State="${WSMAN_COMMAND_DONE}"><rsp:ExitCode>${result.exitCode}</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
        ),
      };
    }
    // signal
    return { headers: { 'content-type': SOAP }, body: envelope(action, '<rsp:SignalResponse/>') };
  };

  const vendor = await startFakeVendor({ handler: handle, ...(options.ca && { ca: options.ca }) });
  endpoint = `${vendor.url}/wsman`;
  return {
    endpoint,
    caPem: vendor.caPem!,
    requests: vendor.requests,
    actions,
    openShells: () => shells.size,
    close: () => vendor.close(),
  };
}

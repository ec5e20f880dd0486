/**
 * A WS-Management (WinRM) remote shell client: create a cmd shell, run one command with stdin,
 * receive stdout/stderr and the exit code, terminate, delete. HTTPS only, with Basic or NTLM
 * (Negotiate) authentication; all traffic through the one HTTP client of connector-utils.
 */
import { randomUUID } from 'node:crypto';
import { AuthenticationError, VendorApiError } from '@certctl/core';
import { Agent } from 'undici';
import { createHttpClient, type HttpClient, type HttpResponse } from './http-client.js';
import { ntlmAuthenticateMessage, ntlmNegotiateMessage, parseNtlmChallenge } from './ntlm.js';
import type { PowerShellRunner } from './powershell-runner.js';
import { POWERSHELL_ARGUMENTS, powerShellStdin } from './powershell-script.js';
import type { SsrfPolicy } from './ssrf-policy.js';

export const WSMAN_NAMESPACES = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
} as const;
export const WSMAN_SHELL_RESOURCE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
export const WSMAN_ACTIONS = {
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  command: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
  send: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
  receive: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
  signal: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
} as const;
export const WSMAN_COMMAND_DONE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done';
export const WSMAN_SIGNAL_TERMINATE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate';

export interface WinRmClientOptions {
  connector: string;
  /** `https://host:5986/wsman`. */
  endpoint: string;
  username: string;
  password: string;
  auth: 'basic' | 'ntlm';
  /** PEM of the CA that signed the WinRM listener's certificate; default the system trust store. */
  caPem?: string;
  /** Accept any listener certificate (lab use only). */
  insecure?: boolean;
  timeoutMs: number;
  ssrfPolicy?: SsrfPolicy;
}

export interface WinRmCommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface WinRmClient {
  run(
    command: string,
    args: readonly string[],
    options: { stdin?: string; signal?: AbortSignal; timeoutMs: number },
  ): Promise<WinRmCommandResult>;
  close(): Promise<void>;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const unescapeXml = (text: string) =>
  text.replace(
    /&(lt|gt|amp|apos|quot);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e]!,
  );

const isoDuration = (ms: number) => `PT${Math.max(1, Math.round(ms / 1000))}S`;

/** One WS-Management request envelope. */
export function wsmanEnvelope(options: {
  to: string;
  action: string;
  shellId?: string;
  options?: Record<string, string>;
  timeoutMs: number;
  body: string;
}): string {
  const selector = options.shellId
    ? `<w:SelectorSet><w:Selector Name="ShellId">${escapeXml(options.shellId)}</w:Selector></w:SelectorSet>`
    : '';
  const optionSet = options.options
    ? `<w:OptionSet>${Object.entries(options.options)
        .map(([k, v]) => `<w:Option Name="${k}">${escapeXml(v)}</w:Option>`)
        .join('')}</w:OptionSet>`
    : '';
  return [
    `<s:Envelope xmlns:s="${WSMAN_NAMESPACES.s}" xmlns:a="${WSMAN_NAMESPACES.a}" xmlns:w="${WSMAN_NAMESPACES.w}" xmlns:rsp="${WSMAN_NAMESPACES.rsp}">`,
    '<s:Header>',
    `<a:To>${escapeXml(options.to)}</a:To>`,
    '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>',
    '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>',
    `<a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>`,
    '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>',
    `<w:OperationTimeout>${isoDuration(options.timeoutMs)}</w:OperationTimeout>`,
    `<w:ResourceURI s:mustUnderstand="true">${WSMAN_SHELL_RESOURCE}</w:ResourceURI>`,
    `<a:Action s:mustUnderstand="true">${options.action}</a:Action>`,
    selector,
    optionSet,
    '</s:Header>',
    `<s:Body>${options.body}</s:Body>`,
    '</s:Envelope>',
  ].join('');
}

/** Text of the first `<prefix:name ...>text</prefix:name>` (any prefix). */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
}

/** A WS-Management fault's text (`<f:Message>` or `<s:Text>`), for messages. */
function faultText(xml: string): string {
  return (element(xml, 'Message') ?? element(xml, 'Text') ?? 'no fault text').replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function createWinRmClient(options: WinRmClientOptions): WinRmClient {
  const endpoint = new URL(options.endpoint);
  if (endpoint.protocol !== 'https:') {
    throw new VendorApiError({
      connector: options.connector,
      retryable: false,
      message: 'WinRM is only used over HTTPS (port 5986): credentials and the PFX must not cross the network in clear',
    });
  }
  // One connection: NTLM authenticates a connection, not a request.
  const dispatcher = new Agent({
    connections: 1,
    pipelining: 1,
    connect: { ...(options.caPem && { ca: options.caPem }), rejectUnauthorized: !options.insecure },
  });
  const http: HttpClient = createHttpClient({
    connector: options.connector,
    timeoutMs: options.timeoutMs,
    userAgent: 'certctl WinRM client',
    retries: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    dispatcher,
    ...(options.ssrfPolicy && { ssrfPolicy: options.ssrfPolicy }),
  });
  let ntlmAuthenticated = false;
  const contentType = 'application/soap+xml;charset=UTF-8';

  const refused = (what: string) =>
    new AuthenticationError({
      connector: options.connector,
      message: `WinRM at ${endpoint.origin} refused ${what} for ${options.username}: check winrm_username/winrm_password, that the account is a local administrator, and that the listener allows ${options.auth === 'basic' ? 'Basic (winrm set winrm/config/service/auth @{Basic="true"})' : 'Negotiate/NTLM'}`,
    });

  async function post(envelope: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<string> {
    let response: HttpResponse;
    const send = (authorization: string) =>
      http.request({
        method: 'POST',
        url: endpoint,
        headers: { 'content-type': contentType, authorization },
        body: envelope,
        signal,
        timeoutMs,
        idempotent: false,
        acceptStatus: [401, 500],
      });
    if (options.auth === 'basic') {
      response = await send(`Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`);
      if (response.status === 401) throw refused('Basic authentication');
    } else if (ntlmAuthenticated) {
      response = await http.request({
        method: 'POST',
        url: endpoint,
        headers: { 'content-type': contentType },
        body: envelope,
        signal,
        timeoutMs,
        idempotent: false,
        acceptStatus: [401, 500],
      });
      if (response.status === 401) {
        ntlmAuthenticated = false;
        return post(envelope, signal, timeoutMs);
      }
    } else {
      const challengeResponse = await http.request({
        method: 'POST',
        url: endpoint,
        headers: {
          'content-type': contentType,
          authorization: `Negotiate ${ntlmNegotiateMessage().toString('base64')}`,
        },
        body: '',
        signal,
        timeoutMs,
        idempotent: false,
        acceptStatus: [401],
      });
      const header = challengeResponse.headers['www-authenticate'] ?? '';
      const token = /(?:Negotiate|NTLM) ([A-Za-z0-9+/=]+)/.exec(header)?.[1];
      if (challengeResponse.status !== 401 || !token) throw refused('NTLM negotiation (no challenge)');
      const type3 = ntlmAuthenticateMessage(
        parseNtlmChallenge(Buffer.from(token, 'base64')),
        options.username,
        options.password,
      );
      response = await send(`Negotiate ${type3.toString('base64')}`);
      if (response.status === 401) throw refused('NTLM authentication');
      ntlmAuthenticated = true;
    }
    const text = response.text();
    if (response.status === 500) {
      throw new VendorApiError({
        connector: options.connector,
        status: 500,
        retryable: false,
        message: `WinRM at ${endpoint.origin} answered a fault: ${faultText(text)}`,
      });
    }
    return text;
  }

  return {
    async run(command, args, { stdin, signal, timeoutMs }) {
      const to = endpoint.toString();
      const created = await post(
        wsmanEnvelope({
          to,
          action: WSMAN_ACTIONS.create,
          options: { WINRS_NOPROFILE: 'TRUE', WINRS_CODEPAGE: '65001' },
          timeoutMs,
          body: '<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>',
        }),
        signal,
        timeoutMs,
      );
      const shellId = element(created, 'ShellId');
      if (!shellId) {
        throw new VendorApiError({ connector: options.connector, retryable: false, message: 'WinRM created no shell' });
      }
      try {
        const started = await post(
          wsmanEnvelope({
            to,
            action: WSMAN_ACTIONS.command,
            shellId,
            options: { WINRS_CONSOLEMODE_STDIN: 'TRUE', WINRS_SKIP_CMD_SHELL: 'TRUE' },
            timeoutMs,
            body: `<rsp:CommandLine><rsp:Command>${escapeXml(command)}</rsp:Command>${args
              .map((a) => `<rsp:Arguments>${escapeXml(a)}</rsp:Arguments>`)
              .join('')}</rsp:CommandLine>`,
          }),
          signal,
          timeoutMs,
        );
        const commandId = element(started, 'CommandId');
        if (!commandId) {
          throw new VendorApiError({
            connector: options.connector,
            retryable: false,
            message: 'WinRM started no command',
          });
        }
        if (stdin !== undefined) {
          await post(
            wsmanEnvelope({
              to,
              action: WSMAN_ACTIONS.send,
              shellId,
              timeoutMs,
              body: `<rsp:Send><rsp:Stream Name="stdin" CommandId="${escapeXml(commandId)}" End="true">${Buffer.from(stdin, 'utf8').toString('base64')}</rsp:Stream></rsp:Send>`,
            }),
            signal,
            timeoutMs,
          );
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let exitCode: number | undefined;
        const deadline = Date.now() + timeoutMs;
        while (exitCode === undefined) {
          if (Date.now() > deadline) {
            throw new VendorApiError({
              connector: options.connector,
              retryable: true,
              message: `the command on ${endpoint.host} did not finish within ${Math.round(timeoutMs / 1000)} s (exec_deadline)`,
            });
          }
          const received = await post(
            wsmanEnvelope({
              to,
              action: WSMAN_ACTIONS.receive,
              shellId,
              options: { WSMAN_CMDSHELL_OPTION_KEEPALIVE: 'TRUE' },
              timeoutMs,
              body: `<rsp:Receive><rsp:DesiredStream CommandId="${escapeXml(commandId)}">stdout stderr</rsp:DesiredStream></rsp:Receive>`,
            }),
            signal,
            timeoutMs,
          );
          for (const m of received.matchAll(/<(?:\w+:)?Stream\s([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?Stream>)/g)) {
            const name = /Name="(\w+)"/.exec(m[1]!)?.[1];
            const bytes = Buffer.from((m[2] ?? '').trim(), 'base64');
            if (name === 'stdout') stdout.push(bytes);
            else if (name === 'stderr') stderr.push(bytes);
          }
          const state = /<(?:\w+:)?CommandState\s[^>]*State="([^"]+)"/.exec(received)?.[1];
          if (state === WSMAN_COMMAND_DONE) exitCode = Number(element(received, 'ExitCode') ?? '-1');
        }
        await post(
          wsmanEnvelope({
            to,
            action: WSMAN_ACTIONS.signal,
            shellId,
            timeoutMs,
            body: `<rsp:Signal CommandId="${escapeXml(commandId)}"><rsp:Code>${WSMAN_SIGNAL_TERMINATE}</rsp:Code></rsp:Signal>`,
          }),
          signal,
          timeoutMs,
        ).catch(() => undefined);
        return {
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        };
      } finally {
        await post(
          wsmanEnvelope({ to, action: WSMAN_ACTIONS.delete, shellId, timeoutMs, body: '' }),
          undefined,
          timeoutMs,
        ).catch(() => undefined);
      }
    },
    async close() {
      await http.close();
      await dispatcher.close();
    },
  };
}

/** PowerShell over WinRM: the same bootstrap and stdin as on the local host. */
export function createWinRmPowerShellRunner(client: WinRmClient, endpoint: string): PowerShellRunner {
  return {
    where: `winrm ${endpoint}`,
    async run(script, { signal, timeoutMs }) {
      return client.run('powershell.exe', POWERSHELL_ARGUMENTS, { stdin: powerShellStdin(script), signal, timeoutMs });
    },
  };
}

import { ConfigValidationError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operatorCommandProblem, parseOperatorCommand, refineOperatorCommand } from './operator-command.js';

const FC = { seed: 42, numRuns: 300 };
const ANYWHERE = [';', '&', '|', '$', '`', '<', '>', '(', ')', '\n', '\r', '\0'];

describe('parseOperatorCommand', () => {
  it.each([
    ['systemctl reload nginx', ['systemctl', 'reload', 'nginx']],
    ['  /usr/sbin/nginx   -s\treload ', ['/usr/sbin/nginx', '-s', 'reload']],
    ['/opt/hook \'two words\' "dq \\"x\\" \\\\"', ['/opt/hook', 'two words', 'dq "x" \\']],
    ["cmd '' x", ['cmd', '', 'x']],
    ["cmd a'b c'd", ['cmd', 'ab cd']],
    ["cmd '*.pem' '~/x' '#1'", ['cmd', '*.pem', '~/x', '#1']],
    ['haproxy -f /etc/haproxy/haproxy.cfg -c', ['haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-c']],
  ])('splits %j', (text, argv) => {
    expect(parseOperatorCommand(text)).toEqual(argv);
  });

  it.each([
    'systemctl reload nginx; rm -rf /',
    'systemctl reload nginx && curl evil',
    'reload | tee',
    'echo $HOME',
    'echo `id`',
    'echo $(id)',
    'cat > /etc/passwd',
    "echo 'quoted ; still refused'",
    'reload\nrm -rf /',
    'ls *.pem',
    'cd ~',
    'a \\; b',
    "unterminated 'quote",
    '"bad \\n escape"',
    '',
    '   ',
    "'' arg",
  ])('refuses %j with a ConfigValidationError', (text) => {
    expect(() => parseOperatorCommand(text, { field: 'reload_command', connector: 'target-nginx' })).toThrow(
      ConfigValidationError,
    );
  });

  it('names the field and the offending character, and what to do', () => {
    try {
      parseOperatorCommand('systemctl reload nginx; id', { field: 'reload_command', connector: 'target-nginx' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigValidationError).issues).toEqual([
        {
          path: 'reload_command',
          message: expect.stringMatching(
            /^contains ";" at position 23: commands run without a shell.*put multi-step logic in a script/,
          ),
        },
      ]);
      expect((error as Error).message).toMatch(
        /^\[certctl\] \[target-nginx\] invalid configuration: reload_command: contains ";"/,
      );
    }
  });

  it('round-trips any argv written with single quotes', () => {
    const safeChar = fc.constantFrom(...'abcXYZ019 ._-/=:,@%+*?[]{}~#!"\\\t'.split(''));
    const word = fc.array(safeChar, { maxLength: 12 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }).filter((argv) => argv[0] !== ''),
        (argv) => {
          const text = argv.map((w) => `'${w}'`).join(' ');
          expect(parseOperatorCommand(text)).toEqual(argv);
        },
      ),
      FC,
    );
  });

  it('refuses every text containing a shell metacharacter, wherever it is', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...ANYWHERE), fc.string(), (before, meta, after) => {
        expect(() => parseOperatorCommand(`${before}${meta}${after}`)).toThrow(ConfigValidationError);
      }),
      FC,
    );
  });

  it('either returns words free of metacharacters or throws ConfigValidationError, for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        let argv: string[];
        try {
          argv = parseOperatorCommand(text);
        } catch (error) {
          expect(ConfigValidationError.isInstance(error)).toBe(true);
          return;
        }
        expect(argv.length).toBeGreaterThan(0);
        for (const word of argv) for (const meta of ANYWHERE) expect(word).not.toContain(meta);
      }),
      FC,
    );
  });

  it('splits plain words exactly like whitespace splitting', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9._/=:,@%+-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 6 }), fc.constantFrom(' ', '  ', '\t'), (argv, gap) => {
        expect(parseOperatorCommand(argv.join(gap))).toEqual(argv);
      }),
      FC,
    );
  });
});

describe('operatorCommandProblem', () => {
  it('is undefined for an acceptable command and the reason for a refused one', () => {
    expect(operatorCommandProblem('systemctl reload nginx')).toBeUndefined();
    expect(operatorCommandProblem('nginx -s reload; rm -rf /')).toMatch(/contains ";" at position 16/);
    expect(operatorCommandProblem('')).toBe('is empty');
  });
});

describe('refineOperatorCommand', () => {
  it('adds one custom issue for a refused command and none for a good one', () => {
    const issues: { code: string; message: string }[] = [];
    const ctx = { addIssue: (issue: { code: 'custom'; message: string }) => issues.push(issue) };
    refineOperatorCommand('nginx -s reload', ctx);
    expect(issues).toEqual([]);
    refineOperatorCommand('nginx -s reload && rm -rf /', ctx);
    expect(issues).toEqual([{ code: 'custom', message: expect.stringContaining('"&"') }]);
  });
});

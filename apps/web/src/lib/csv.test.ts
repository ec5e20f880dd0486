import { expect, it } from 'vitest';
import { toCsv } from './csv';

it('quotes CSV cells and defuses spreadsheet formulas in the audit export', () => {
  expect(
    toCsv(
      ['a', 'b'],
      [
        ['x,y', 'say "hi"'],
        ['=SUM(A1)', { k: 1 }],
        [null, 3],
      ],
    ),
  ).toBe('a,b\r\n"x,y","say ""hi"""\r\n\'=SUM(A1),"{""k"":1}"\r\n,3');
});

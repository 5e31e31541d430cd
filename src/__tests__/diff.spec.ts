import { lineDiff, MAX_CELLS, splitLines } from '../diff';

describe('lineDiff', () => {
  it('finds nothing between equal texts', () => {
    const result = lineDiff('a\nb\n', 'a\nb\n');
    expect(result.removed).toBe(0);
    expect(result.added).toBe(0);
    expect(result.rows.map(r => r.kind)).toEqual(['same', 'same']);
  });

  it('marks a changed line as removed then added, keeping the rest aligned', () => {
    const result = lineDiff('one\ntwo\nthree\n', 'one\n2\nthree\n');
    expect(result.rows).toEqual([
      { kind: 'same', left: 'one', right: 'one', leftLine: 1, rightLine: 1 },
      { kind: 'removed', left: 'two', leftLine: 2 },
      { kind: 'added', right: '2', rightLine: 2 },
      { kind: 'same', left: 'three', right: 'three', leftLine: 3, rightLine: 3 }
    ]);
  });

  it('counts insertions and deletions at the ends', () => {
    const result = lineDiff('b\nc', 'a\nb');
    expect(result.added).toBe(1);
    expect(result.removed).toBe(1);
    const kept = result.rows.filter(r => r.kind === 'same');
    expect(kept).toHaveLength(1);
  });

  it('keeps every line of both sides whatever the edit', () => {
    const left = 'x\ny\nz\nx\ny';
    const right = 'y\nx\nz\nz\ny\nq';
    const result = lineDiff(left, right);
    const leftBack: string[] = [];
    const rightBack: string[] = [];
    for (const row of result.rows) {
      if (row.kind !== 'added') {
        leftBack.push(row.left);
      }
      if (row.kind !== 'removed') {
        rightBack.push(row.right);
      }
    }
    expect(leftBack).toEqual(splitLines(left));
    expect(rightBack).toEqual(splitLines(right));
  });

  it('does not diff texts too long to diff quickly, and says so', () => {
    const side = Math.ceil(Math.sqrt(MAX_CELLS)) + 1;
    const big = Array.from({ length: side }, (_, i) => `line ${i}`).join('\n');
    const result = lineDiff(big, big + '\nmore');
    expect(result.diffed).toBe(false);
    expect(result.removed).toBe(side);
    expect(result.added).toBe(side + 1);
  });

  it('treats CRLF like LF and an empty text as no lines', () => {
    expect(splitLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(lineDiff('', 'a').rows).toEqual([{ kind: 'added', right: 'a', rightLine: 1 }]);
  });
});

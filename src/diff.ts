/**
 * A line diff of two texts for the Compare view of text files (notebooks use nbdime).
 * Pure, so it is unit-tested. It is the classic longest-common-subsequence table, which is
 * quadratic: above `MAX_CELLS` lines × lines the texts are shown side by side undiffed
 * rather than freezing the tab.
 */

export type DiffRow =
  | { kind: 'same'; left: string; right: string; leftLine: number; rightLine: number }
  | { kind: 'removed'; left: string; leftLine: number }
  | { kind: 'added'; right: string; rightLine: number };

export interface ILineDiff {
  rows: DiffRow[];
  /** False when the texts were too long to diff; `rows` then lists both sides whole. */
  diffed: boolean;
  removed: number;
  added: number;
}

export const MAX_CELLS = 4_000_000;

export function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.split(/\r?\n/);
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

export function lineDiff(leftText: string, rightText: string): ILineDiff {
  const a = splitLines(leftText);
  const b = splitLines(rightText);
  if (a.length * b.length > MAX_CELLS) {
    const rows: DiffRow[] = [
      ...a.map((left, i) => ({ kind: 'removed' as const, left, leftLine: i + 1 })),
      ...b.map((right, i) => ({ kind: 'added' as const, right, rightLine: i + 1 }))
    ];
    return { rows, diffed: false, removed: a.length, added: b.length };
  }
  // lcs[i][j]: length of the longest common subsequence of a[i:] and b[j:]
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1] + 1
          : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  let removed = 0;
  let added = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      rows.push({ kind: 'same', left: a[i], right: b[j], leftLine: i + 1, rightLine: j + 1 });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) {
      rows.push({ kind: 'removed', left: a[i], leftLine: i + 1 }); // a change reads old, then new
      removed++;
      i++;
    } else {
      rows.push({ kind: 'added', right: b[j], rightLine: j + 1 });
      added++;
      j++;
    }
  }
  return { rows, diffed: true, removed, added };
}

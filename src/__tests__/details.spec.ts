import { nullTranslator } from '@jupyterlab/translation';

import type { ConflictDetail } from '../api/types';
import { resolvedText } from '../details';
import { failurePath, folderStatus, runLine, statusLetter } from '../words';

const trans = nullTranslator.load('test');

function conflict(): ConflictDetail {
  const side = { author: 'alice', exists_locally: true, modified_at: null, size: 3, version_id: 'v1' };
  return {
    id: 1,
    path: 'notes.txt',
    copy_path: 'notes (conflict, alice on box, 2026-12-02 10-00).txt',
    created_at: '2026-12-02T10:00:00Z',
    cells: [],
    reason: null,
    run_id: 1,
    local: { ...side, path: 'notes (conflict, alice on box, 2026-12-02 10-00).txt' },
    remote: { ...side, path: 'notes.txt' }
  };
}

describe('resolvedText', () => {
  it('says where the losing version went', () => {
    const text = resolvedText(conflict(), 'remote', ['.aext-project/trash/20261202-100000/x.txt']);
    expect(text).toContain("Kept the cloud's version of notes.txt");
    expect(text).toContain('.aext-project/trash/20261202-100000/x.txt');
  });

  it('names both files when both are kept', () => {
    const text = resolvedText(conflict(), 'both', []);
    expect(text).toContain('notes.txt');
    expect(text).toContain('notes (conflict, alice on box, 2026-12-02 10-00).txt');
    expect(text).not.toContain('trash');
  });
});

describe('runLine', () => {
  it('says what a run did and how it ended', () => {
    const line = runLine(
      { direction: 'push', trigger: 'user', result: 'ok', counts: { upload: 3, delete_remote: 1 } },
      trans
    );
    expect(line).toBe('Push · 3 uploaded, 1 deleted in the cloud · done');
  });

  it('says who started it when it was not the user', () => {
    const line = runLine({ direction: 'sync', trigger: 'auto', result: 'refused', counts: {} }, trans);
    expect(line).toBe('Sync (automatic) · nothing to do · stopped by a safety check');
  });
});

describe('file browser indicators', () => {
  it('gives every status a letter', () => {
    for (const status of ['synced', 'modified_local', 'new_local', 'modified_remote', 'conflict', 'ignored']) {
      expect(statusLetter(status)).not.toBe('');
    }
  });

  it('shows a conflict inside a folder before any change', () => {
    expect(folderStatus(['synced', 'modified_local', 'conflict'])).toBe('conflict');
    expect(folderStatus(['synced', 'new_local'])).toBe('changes');
    expect(folderStatus(['synced', 'ignored'])).toBe('synced');
    expect(folderStatus([])).toBeNull();
  });

  it('finds the file a failure names', () => {
    expect(failurePath("local_changed: 'data/x.csv' changed locally")).toBe('data/x.csv');
    expect(failurePath('cloud_unavailable: the cloud did not answer')).toBeNull();
  });
});

import { nullTranslator } from '@jupyterlab/translation';

import type { IRunSummary } from '../api/messages';
import { throttleText } from '../components/RunOutcome';
import { formatBytes, projectBadge, timeAgo } from '../words';
import { project } from './fixtures';

const trans = nullTranslator.load('test');

describe('projectBadge', () => {
  it('says cloud only for a project without a folder', () => {
    expect(projectBadge(project('p1', { local_path: null }), trans).code).toBe('cloud_only');
  });

  it('counts what there is to push and to pull', () => {
    const badge = projectBadge(
      project('p1', {
        sync: {
          counts: { new_local: 2, modified_local: 1, modified_remote: 1, synced: 4 },
          last_synced_at: null,
          sync_running: false
        }
      }),
      trans
    );
    expect(badge).toEqual({ code: 'changes', text: '3 to push · 1 to pull' });
  });

  it('puts conflicts before changes', () => {
    const badge = projectBadge(
      project('p1', {
        sync: { counts: { conflict: 2, new_local: 1 }, last_synced_at: null, sync_running: false }
      }),
      trans
    );
    expect(badge).toEqual({ code: 'conflicts', text: '2 conflicts' });
  });

  it('says synced when only synced files remain', () => {
    const badge = projectBadge(
      project('p1', { sync: { counts: { synced: 3 }, last_synced_at: null, sync_running: false } }),
      trans
    );
    expect(badge.code).toBe('synced');
  });

  it('shows the percent of a run this tab follows', () => {
    expect(projectBadge(project('p1'), trans, 40.4)).toEqual({
      code: 'syncing',
      text: 'Syncing 40 %'
    });
  });

  it('says deleted in the cloud before anything else but a run', () => {
    const badge = projectBadge(
      project('p1', { cloud_state: 'cloud_deleted', sync: { counts: { conflict: 1 }, last_synced_at: null, sync_running: false } }),
      trans
    );
    expect(badge.code).toBe('cloud_deleted');
  });
});

describe('timeAgo', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it.each([
    [null, 'never'],
    ['2026-12-01T11:59:50Z', 'just now'],
    ['2026-12-01T11:55:00Z', '5 minutes ago'],
    ['2026-12-01T11:59:00Z', '1 minute ago'],
    ['2026-12-01T09:00:00Z', '3 hours ago'],
    ['2026-11-30T10:00:00Z', 'yesterday'],
    ['2026-11-26T12:00:00Z', '5 days ago']
  ])('%s is %s', (when, expected) => {
    expect(timeAgo(when, trans, now)).toBe(expected);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [10 * 1024 * 1024, '10 MB']
  ])('%d is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('throttleText', () => {
  const summary = (throttled?: number): IRunSummary => ({
    result: 'ok',
    counts: {},
    bytes: 0,
    failures: [],
    conflicts: [],
    merged_notebooks: [],
    skipped: [],
    ...(throttled === undefined
      ? {}
      : { network: { seconds: 1, waiting_s: 1, max_in_flight: 4, throttled } })
  });

  it('says nothing when the cloud did not slow the run down', () => {
    expect(throttleText(summary(), trans)).toBeNull();
    expect(throttleText(summary(0), trans)).toBeNull();
  });

  it('counts the times the cloud asked to slow down', () => {
    expect(throttleText(summary(3), trans)).toBe(
      'The cloud asked us to slow down 3 times; the run went on at a gentler pace.'
    );
  });
});

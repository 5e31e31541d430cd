/**
 * What the panel says about statuses, badges and times, in words a user understands.
 * Pure functions of values, so they are unit-tested without a DOM.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import type { FileStatus, Project } from './api/types';

/** The file statuses in the order the detail view groups them. */
export const STATUS_ORDER: FileStatus[] = [
  'conflict',
  'modified_local',
  'new_local',
  'deleted_local',
  'modified_remote',
  'new_remote',
  'deleted_remote',
  'synced',
  'unsyncable',
  'ignored'
];

export function statusLabel(status: FileStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'synced':
      return trans.__('Synced');
    case 'modified_local':
      return trans.__('Changed here');
    case 'new_local':
      return trans.__('New here');
    case 'deleted_local':
      return trans.__('Deleted here');
    case 'modified_remote':
      return trans.__('Changed in the cloud');
    case 'new_remote':
      return trans.__('New in the cloud');
    case 'deleted_remote':
      return trans.__('Deleted in the cloud');
    case 'conflict':
      return trans.__('Changed on both sides');
    case 'ignored':
      return trans.__('Not synced (ignored)');
    case 'unsyncable':
      return trans.__('Cannot be synced');
  }
}

const TO_PUSH: FileStatus[] = ['modified_local', 'new_local', 'deleted_local'];
const TO_PULL: FileStatus[] = ['modified_remote', 'new_remote', 'deleted_remote'];

/** The badge of a project in the list: a stable code (for tests and CSS) and its text. */
export interface IBadge {
  code:
    | 'syncing'
    | 'cloud_only'
    | 'cloud_deleted'
    | 'conflicts'
    | 'needs_attention'
    | 'changes'
    | 'synced'
    | 'unknown';
  text: string;
}

function sum(counts: Record<string, number>, statuses: FileStatus[]): number {
  return statuses.reduce((total, s) => total + (counts[s] ?? 0), 0);
}

/**
 * A project's badge. `percent` is the progress of a run this tab follows, if any.
 */
export function projectBadge(
  project: Project,
  trans: TranslationBundle,
  percent: number | null = null
): IBadge {
  if (percent !== null || project.sync?.sync_running) {
    const text =
      percent === null
        ? trans.__('Syncing…')
        : trans.__('Syncing %1 %', Math.round(percent));
    return { code: 'syncing', text };
  }
  if (project.cloud_state === 'cloud_deleted') {
    return { code: 'cloud_deleted', text: trans.__('Deleted in the cloud') };
  }
  if (!project.local_path) {
    return { code: 'cloud_only', text: trans.__('Cloud only') };
  }
  const counts = project.sync?.counts ?? {};
  const conflicts = counts['conflict'] ?? 0;
  if (conflicts > 0) {
    return { code: 'conflicts', text: trans._n('%1 conflict', '%1 conflicts', conflicts) };
  }
  if (project.needs_attention) {
    return { code: 'needs_attention', text: trans.__('Needs attention') };
  }
  const push = sum(counts, TO_PUSH);
  const pull = sum(counts, TO_PULL);
  if (push || pull) {
    const parts: string[] = [];
    if (push) {
      parts.push(trans.__('%1 to push', push));
    }
    if (pull) {
      parts.push(trans.__('%1 to pull', pull));
    }
    return { code: 'changes', text: parts.join(' · ') };
  }
  if ((counts['synced'] ?? 0) > 0 || project.sync?.last_synced_at) {
    return { code: 'synced', text: trans.__('Synced') };
  }
  return { code: 'unknown', text: trans.__('Not synced yet') };
}

/** "just now", "5 minutes ago", "yesterday", "3 days ago", else the date. */
export function timeAgo(
  when: string | null | undefined,
  trans: TranslationBundle,
  now: number = Date.now()
): string {
  if (!when) {
    return trans.__('never');
  }
  const then = Date.parse(when);
  if (Number.isNaN(then)) {
    return trans.__('never');
  }
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) {
    return trans.__('just now');
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return trans._n('%1 minute ago', '%1 minutes ago', minutes);
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return trans._n('%1 hour ago', '%1 hours ago', hours);
  }
  const days = Math.round(hours / 24);
  if (days === 1) {
    return trans.__('yesterday');
  }
  if (days < 30) {
    return trans.__('%1 days ago', days);
  }
  return new Date(then).toLocaleDateString();
}

/** 1536 → "1.5 KB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Tags from the text the user typed: comma separated, trimmed, no empties or repeats. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(',')
    .map(t => t.trim())
    .filter(t => t.length > 0);
  return [...new Set(tags)];
}

/** What a recorded run did, in one line: "Sync by you · 3 uploaded, 1 downloaded · OK". */
export function runLine(
  run: { direction: string; trigger: string; result: string; counts: Record<string, number> },
  trans: TranslationBundle
): string {
  const direction =
    run.direction === 'push'
      ? trans.__('Push')
      : run.direction === 'pull'
        ? trans.__('Pull')
        : trans.__('Sync');
  const by =
    run.trigger === 'auto'
      ? trans.__('automatic')
      : run.trigger === 'resolve'
        ? trans.__('after resolving a conflict')
        : run.trigger === 'download'
          ? trans.__('first download')
          : '';
  const c = run.counts ?? {};
  const parts = [
    c.upload ? trans.__('%1 uploaded', c.upload) : '',
    c.download ? trans.__('%1 downloaded', c.download) : '',
    c.delete_remote ? trans.__('%1 deleted in the cloud', c.delete_remote) : '',
    c.trash_local ? trans.__('%1 moved to the trash', c.trash_local) : '',
    c.conflict ? trans._n('%1 conflict', '%1 conflicts', c.conflict) : ''
  ].filter(Boolean);
  const result = resultLabel(run.result, trans);
  return [by ? `${direction} (${by})` : direction, parts.join(', ') || trans.__('nothing to do'), result]
    .filter(Boolean)
    .join(' · ');
}

export function resultLabel(result: string, trans: TranslationBundle): string {
  switch (result) {
    case 'ok':
      return trans.__('done');
    case 'partial':
      return trans.__('partly done');
    case 'failed':
      return trans.__('failed');
    case 'refused':
      return trans.__('stopped by a safety check');
    case 'cancelled':
      return trans.__('cancelled');
    case 'interrupted':
      return trans.__('interrupted');
    case 'running':
      return trans.__('running');
    default:
      return result;
  }
}

/** The project file a failure message names (`'data/x.csv' changed locally`), if any. */
export function failurePath(failure: string): string | null {
  const quoted = /'((?:[^'\\]|\\.)+)'/.exec(failure);
  return quoted ? quoted[1] : null;
}

/** The file browser's indicator of a file's status: a letter, and its words for the tooltip. */
export function statusLetter(status: FileStatus | string): string {
  switch (status) {
    case 'synced':
      return '✓';
    case 'modified_local':
      return 'M';
    case 'new_local':
      return 'A';
    case 'modified_remote':
      return 'R';
    case 'deleted_remote':
      return 'D';
    case 'conflict':
    case 'conflicts':
      return 'C';
    case 'ignored':
      return 'I';
    case 'unsyncable':
      return '!';
    case 'changes':
      return '•';
    case 'syncing':
      return '↻';
    case 'needs_attention':
      return '!';
    default:
      return '';
  }
}

/**
 * The status a folder inside a project shows: a conflict inside wins, then any change;
 * `null` when nothing under it is known.
 */
export function folderStatus(statuses: Iterable<string>): 'conflict' | 'changes' | 'synced' | null {
  let seen = false;
  let changed = false;
  for (const status of statuses) {
    seen = true;
    if (status === 'conflict') {
      return 'conflict';
    }
    if (status !== 'synced' && status !== 'ignored') {
      changed = true;
    }
  }
  return seen ? (changed ? 'changes' : 'synced') : null;
}

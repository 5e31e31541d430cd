/**
 * The WebSocket protocol (see the README's "WebSocket API"): what the panel sends and what
 * the server pushes. Server messages are checked for a known `type` before use.
 */
import type { Direction } from './types';

export interface IRunPlanSummary {
  counts: Record<string, number>;
  upload_bytes: number;
  download_bytes: number;
  skipped: { path: string; reason: string }[];
}

export interface IRunFailure {
  path: string;
  code: string | null;
  message: string | null;
}

export interface IRunConflict {
  path: string;
  copy_path: string | null;
  cells: string[];
  reason: string | null;
}

export type RunResult = 'ok' | 'partial' | 'failed' | 'cancelled';

export interface IRunSummary {
  result: RunResult;
  counts: Record<string, number>;
  bytes: number;
  failures: IRunFailure[];
  conflicts: IRunConflict[];
  merged_notebooks: string[];
  skipped: { path: string; reason: string }[];
  /** How the run used the network (absent from runs recorded before it was kept). */
  network?: IRunNetwork;
}

/** Seconds the run took and spent waiting on the cloud; how far the pacer went. */
export interface IRunNetwork {
  seconds: number;
  waiting_s: number;
  max_in_flight: number;
  throttled: number;
}

interface IRunMessage {
  request_id: string;
  project_id: string;
}

export interface IAcceptedMessage extends IRunMessage {
  type: 'accepted';
  plan: IRunPlanSummary;
}

export interface IProgressMessage extends IRunMessage {
  type: 'progress';
  done_files: number;
  total_files: number;
  done_bytes: number;
  total_bytes: number;
  current_path: string | null;
}

export interface IConflictMessage extends IRunMessage, IRunConflict {
  type: 'conflict';
}

export interface ICompletedMessage extends IRunMessage {
  type: 'completed';
  summary: IRunSummary;
}

export interface IFailedMessage extends IRunMessage {
  type: 'failed';
  code: string;
  message: string;
}

export interface IErrorMessage {
  type: 'error';
  code: string;
  message: string;
  request_id?: string;
}

export interface ISubscribedMessage {
  type: 'subscribed';
  project_ids: string[] | '*';
}

export interface IProjectChangedMessage {
  type: 'project_changed';
  project_id: string;
  reason: string;
}

export type ServerMessage =
  | IAcceptedMessage
  | IProgressMessage
  | IConflictMessage
  | ICompletedMessage
  | IFailedMessage
  | IErrorMessage
  | ISubscribedMessage
  | IProjectChangedMessage;

export type ClientMessage =
  | {
      type: Direction;
      request_id: string;
      project_id: string;
      force?: boolean;
      paths?: string[];
    }
  | { type: 'cancel'; request_id: string }
  | { type: 'subscribe'; project_ids: string[] | '*' };

const SERVER_TYPES = new Set([
  'accepted',
  'progress',
  'conflict',
  'completed',
  'failed',
  'error',
  'subscribed',
  'project_changed'
]);

/** A server message from its JSON text, or null when it is not one we know. */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    !SERVER_TYPES.has((value as { type?: unknown }).type as string)
  ) {
    return null;
  }
  return value as ServerMessage;
}

/**
 * The Projects panel's state and actions, without any DOM: the connection, the project
 * list, the open project details, and each project's current or last run. Views read it
 * and re-render on `changed`; it learns of changes from the WebSocket (`project_changed`
 * and run messages), never by polling.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, IProjectsApi } from './api/client';
import type {
  ICompletedMessage,
  IFailedMessage,
  IProgressMessage,
  IRunConflict,
  IRunPlanSummary,
  IRunSummary,
  ServerMessage
} from './api/messages';
import type { IProjectsSocket } from './api/socket';
import type {
  CreateProjectBody,
  Direction,
  PlanResult,
  Project,
  ProjectFiles
} from './api/types';

export type ConnectionState =
  | 'connecting'
  | 'connected'
  | 'not_logged_in'
  | 'cloud_unreachable'
  | 'store_error';

export interface IConnection {
  state: ConnectionState;
  /** The cloud user's name when connected. */
  user: string | null;
  /** What went wrong, in the server's words, when not connected. */
  detail: string | null;
}

/** Gates the user may pass by confirming (the server re-checks with `force`). */
export const FORCEABLE_GATES = new Set(['mass_delete', 'one_side_empty']);

export type RunKind = Direction | 'download';

export type RunOutcome =
  | { kind: 'completed'; summary: IRunSummary }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'gate'; code: string; message: string };

/** A push, pull, sync or download of one project: running, or its last outcome. */
export interface IRun {
  requestId: string;
  projectId: string;
  kind: RunKind | null; // null: started in another tab, we only see its progress
  startedHere: boolean;
  plan: IRunPlanSummary | null;
  progress: IProgressMessage | null;
  conflicts: IRunConflict[];
  outcome: RunOutcome | null;
}

/** A project's files as last loaded, or why they could not be. */
export type FilesState =
  | { state: 'loading' }
  | { state: 'loaded'; files: ProjectFiles }
  | { state: 'error'; message: string };

/** Emitted when a run started in this tab is stopped by a gate the user may pass. */
export interface IGateTrip {
  projectId: string;
  direction: Direction;
  code: string;
  message: string;
}

let counter = 0;

/** A request id unique to this tab. */
export function newRequestId(): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 10);
  return `panel-${Date.now().toString(36)}-${counter}-${random}`;
}

/** The percent done of a run (0-100), by bytes when there are any, else by files. */
export function runPercent(run: IRun | undefined): number | null {
  if (!run || run.outcome) {
    return null;
  }
  const p = run.progress;
  if (!p) {
    return 0;
  }
  if (p.total_bytes > 0) {
    return Math.min(100, (100 * p.done_bytes) / p.total_bytes);
  }
  return p.total_files > 0 ? Math.min(100, (100 * p.done_files) / p.total_files) : 0;
}

/** The text of any error, in words. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

const RELOAD_DELAY_MS = 250;

export class ProjectsModel {
  constructor(
    readonly api: IProjectsApi,
    readonly socket: IProjectsSocket
  ) {
    socket.messageReceived.connect((_, message) => this._onMessage(message));
    socket.onlineChanged.connect((_, online) => {
      if (online && this._loadedOnce) {
        this._scheduleReload(); // a server restart: catch up on what we missed
      }
      this._emit();
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get gateTripped(): ISignal<this, IGateTrip> {
    return this._gateTripped;
  }

  get connection(): IConnection {
    return this._connection;
  }

  get online(): boolean {
    return this.socket.online;
  }

  get projects(): readonly Project[] {
    return this._projects;
  }

  /** Said once the cloud is known not to guard against concurrent overwrites. */
  get cloudWarning(): string | null {
    return this._cloudWarning;
  }

  /** An error of the last list request, shown above the list. */
  get listError(): string | null {
    return this._listError;
  }

  get loading(): boolean {
    return this._loading;
  }

  get filter(): string {
    return this._filter;
  }

  set filter(value: string) {
    this._filter = value;
    this._emit();
  }

  /** The projects whose title or a tag contains the filter text (any case). */
  get visibleProjects(): Project[] {
    const needle = this._filter.trim().toLowerCase();
    if (!needle) {
      return [...this._projects];
    }
    return this._projects.filter(
      p =>
        p.title.toLowerCase().includes(needle) ||
        (p.tags ?? []).some(t => t.toLowerCase().includes(needle))
    );
  }

  project(projectId: string): Project | undefined {
    return this._projects.find(p => p.id === projectId);
  }

  /** The project whose folder holds this contents path (a file or folder), if any. */
  projectOfPath(path: string): Project | undefined {
    const clean = path.replace(/^\/+/, '');
    return this._projects.find(p => {
      const folder = p.contents_path;
      return (
        folder !== null &&
        folder !== undefined &&
        (folder === '' || clean === folder || clean.startsWith(folder + '/'))
      );
    });
  }

  run(projectId: string): IRun | undefined {
    return this._runs.get(projectId);
  }

  isOpen(projectId: string): boolean {
    return this._open.has(projectId);
  }

  files(projectId: string): FilesState | undefined {
    return this._files.get(projectId);
  }

  /** Check the server and the cloud, then list the projects (reconciled with the cloud). */
  async refresh(): Promise<void> {
    this._loading = true;
    this._emit();
    try {
      const health = await this.api.health();
      this._cloudWarning = health.cloud?.concurrent_writes_warning ?? null;
      if (health.status !== 'ok') {
        this._connection = {
          state: 'store_error',
          user: null,
          detail: health.migration?.error ?? null
        };
        this._projects = [];
        return;
      }
      const ticket = this._ticket('list');
      const listed = await this.api.listProjects(true);
      if (this._isLatest('list', ticket)) {
        this._projects = listed.projects;
      }
      this._listError = null;
      this._loadedOnce = true;
      await this._connectionFrom(listed.cloud_status);
      await Promise.all([...this._open].map(id => this.loadFiles(id)));
    } catch (error) {
      this._listError = errorText(error);
      if (error instanceof ApiError && error.code === 'store_unavailable') {
        this._connection = { state: 'store_error', user: null, detail: error.message };
      }
    } finally {
      this._loading = false;
      this._emit();
    }
  }

  /** Re-read the list from the store (no cloud round trip) and the open details. */
  async reload(): Promise<void> {
    const ticket = this._ticket('list');
    try {
      const listed = await this.api.listProjects(false);
      if (!this._isLatest('list', ticket)) {
        return;
      }
      this._projects = listed.projects;
      this._listError = null;
    } catch (error) {
      if (!this._isLatest('list', ticket)) {
        return;
      }
      this._listError = errorText(error);
    }
    this._emit();
  }

  async createProject(body: CreateProjectBody): Promise<Project> {
    const created = await this.api.createProject(body);
    this._projects = [created, ...this._projects.filter(p => p.id !== created.id)];
    this._emit();
    return created;
  }

  toggleOpen(projectId: string): void {
    if (this._open.has(projectId)) {
      this._open.delete(projectId);
      this._emit();
    } else {
      this.openDetail(projectId);
    }
  }

  openDetail(projectId: string): void {
    this._open.add(projectId);
    this._emit();
    void this.loadFiles(projectId);
  }

  async loadFiles(projectId: string): Promise<void> {
    const project = this.project(projectId);
    if (!project || !project.local_path) {
      this._files.delete(projectId);
      return;
    }
    if (!this._files.has(projectId)) {
      this._files.set(projectId, { state: 'loading' });
      this._emit();
    }
    const ticket = this._ticket(`files:${projectId}`);
    let state: FilesState;
    try {
      state = { state: 'loaded', files: await this.api.projectFiles(projectId) };
    } catch (error) {
      state = { state: 'error', message: errorText(error) };
    }
    if (this._isLatest(`files:${projectId}`, ticket)) {
      this._files.set(projectId, state);
      this._emit();
    }
  }

  /** Download a cloud-only project; its detail opens when it is done. */
  async download(projectId: string): Promise<void> {
    const requestId = newRequestId();
    this._runs.set(projectId, this._newRun(requestId, projectId, 'download'));
    this._emit();
    try {
      const started = await this.api.download(projectId, requestId);
      this._replaceProject(started.project);
    } catch (error) {
      this._finish(projectId, requestId, {
        kind: 'failed',
        code: error instanceof ApiError ? error.code : 'error',
        message: errorText(error)
      });
    }
  }

  /** Start a push, pull or sync over the WebSocket. */
  startRun(projectId: string, direction: Direction, force = false): void {
    const requestId = newRequestId();
    this._runs.set(projectId, this._newRun(requestId, projectId, direction));
    const sent = this.socket.send({
      type: direction,
      request_id: requestId,
      project_id: projectId,
      force
    });
    if (!sent) {
      this._finish(projectId, requestId, {
        kind: 'failed',
        code: 'offline',
        message: 'The connection to the Jupyter server is down; try again when it is back.'
      });
      return;
    }
    this._emit();
  }

  cancel(projectId: string): void {
    const run = this._runs.get(projectId);
    if (run && !run.outcome) {
      this.socket.send({ type: 'cancel', request_id: run.requestId });
    }
  }

  /** Forget a finished run's outcome (the user closed it). */
  dismissOutcome(projectId: string): void {
    const run = this._runs.get(projectId);
    if (run?.outcome) {
      this._runs.delete(projectId);
      this._emit();
    }
  }

  plan(projectId: string, direction: Direction, force = false): Promise<PlanResult> {
    return this.api.plan(projectId, direction, force);
  }

  dispose(): void {
    if (this._reloadTimer !== undefined) {
      clearTimeout(this._reloadTimer);
    }
    this.socket.dispose();
    Signal.clearData(this);
  }

  private async _connectionFrom(cloudStatus: string): Promise<void> {
    if (cloudStatus === 'not_configured') {
      this._connection = {
        state: 'not_logged_in',
        user: null,
        detail: 'No API key is configured.'
      };
    } else if (cloudStatus === 'auth_required') {
      this._connection = {
        state: 'not_logged_in',
        user: null,
        detail: 'The cloud did not accept the API key.'
      };
    } else if (cloudStatus === 'unreachable') {
      this._connection = { state: 'cloud_unreachable', user: null, detail: null };
    } else {
      let user: string | null = this._connection.user;
      try {
        user = (await this.api.account()).name;
      } catch {
        // the list came back: a missing name is no reason to say we are offline
      }
      this._connection = { state: 'connected', user, detail: null };
    }
  }

  private async _readWarning(): Promise<void> {
    try {
      const warning = (await this.api.health()).cloud?.concurrent_writes_warning ?? null;
      if (warning !== this._cloudWarning) {
        this._cloudWarning = warning;
        this._emit();
      }
    } catch {
      // health is advisory here; the next refresh tries again
    }
  }

  private _newRun(requestId: string, projectId: string, kind: RunKind | null): IRun {
    return {
      requestId,
      projectId,
      kind,
      startedHere: kind !== null,
      plan: null,
      progress: null,
      conflicts: [],
      outcome: null
    };
  }

  private _replaceProject(project: Project): void {
    this._projects = this._projects.map(p => (p.id === project.id ? project : p));
    this._emit();
  }

  /** The run a message belongs to; a run started elsewhere gets an entry here. */
  private _runOf(message: { request_id: string; project_id: string }): IRun | null {
    const run = this._runs.get(message.project_id);
    if (run && run.requestId === message.request_id) {
      return run;
    }
    if (run && !run.outcome && run.startedHere) {
      return null; // a stray message of an older run
    }
    const seen = this._newRun(message.request_id, message.project_id, null);
    this._runs.set(message.project_id, seen);
    return seen;
  }

  private _onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'project_changed':
        this._scheduleReload(message.project_id);
        return;
      case 'accepted': {
        const run = this._runOf(message);
        if (run) {
          run.plan = message.plan;
          this._emit();
        }
        return;
      }
      case 'progress': {
        const run = this._runOf(message);
        if (run && !run.outcome) {
          run.progress = message;
          this._emit();
        }
        return;
      }
      case 'conflict': {
        const run = this._runOf(message);
        if (run) {
          run.conflicts.push(message);
          this._emit();
        }
        return;
      }
      case 'completed':
        this._onCompleted(message);
        return;
      case 'failed':
        this._onFailed(message);
        return;
      default:
        return;
    }
  }

  private _onCompleted(message: ICompletedMessage): void {
    const run = this._runOf(message);
    if (!run) {
      return;
    }
    this._finish(message.project_id, message.request_id, {
      kind: 'completed',
      summary: message.summary
    });
    if (run.kind === 'download') {
      void this.reload().then(() => this.openDetail(message.project_id));
    }
    void this._readWarning(); // a first run is when the cloud's write guards are probed
  }

  private _onFailed(message: IFailedMessage): void {
    const run = this._runOf(message);
    if (!run) {
      return;
    }
    const gate = FORCEABLE_GATES.has(message.code);
    this._finish(message.project_id, message.request_id, {
      kind: gate ? 'gate' : 'failed',
      code: message.code,
      message: message.message
    });
    if (gate && run.startedHere && run.kind && run.kind !== 'download') {
      this._gateTripped.emit({
        projectId: message.project_id,
        direction: run.kind,
        code: message.code,
        message: message.message
      });
    }
  }

  private _finish(projectId: string, requestId: string, outcome: RunOutcome): void {
    const run = this._runs.get(projectId);
    if (run && run.requestId === requestId) {
      run.outcome = outcome;
      this._emit();
    }
  }

  /**
   * After `project_changed`: re-read the files of the changed local projects (that request
   * also recomputes the statuses the server stores), then the list with its counts.
   * Bursts of events are coalesced into one round.
   */
  private _scheduleReload(projectId?: string): void {
    if (projectId) {
      this._pendingFiles.add(projectId);
    }
    if (this._reloadTimer !== undefined) {
      return;
    }
    this._reloadTimer = setTimeout(() => {
      this._reloadTimer = undefined;
      const ids = [...this._pendingFiles].filter(id => this.project(id)?.local_path);
      this._pendingFiles.clear();
      void Promise.all(ids.map(id => this.loadFiles(id))).then(() => this.reload());
    }, RELOAD_DELAY_MS);
  }

  private _emit(): void {
    this._changed.emit();
  }

  /**
   * Requests of one kind may answer out of order (a status computed before a run's end can
   * arrive after the one computed after it): only the newest request's answer is kept.
   */
  private _ticket(key: string): number {
    const ticket = (this._requests.get(key) ?? 0) + 1;
    this._requests.set(key, ticket);
    return ticket;
  }

  private _isLatest(key: string, ticket: number): boolean {
    return this._requests.get(key) === ticket;
  }

  private _connection: IConnection = { state: 'connecting', user: null, detail: null };
  private _projects: Project[] = [];
  private _listError: string | null = null;
  private _cloudWarning: string | null = null;
  private _loading = false;
  private _loadedOnce = false;
  private _filter = '';
  private _open = new Set<string>();
  private _files = new Map<string, FilesState>();
  private _runs = new Map<string, IRun>();
  private _pendingFiles = new Set<string>();
  private _requests = new Map<string, number>();
  private _reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private _changed = new Signal<this, void>(this);
  private _gateTripped = new Signal<this, IGateTrip>(this);
}

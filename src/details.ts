/**
 * What the project view shows beyond the file list: conflicts being resolved, the run
 * history, recently deleted files, and what the last action there did (a notice in words).
 * Separate from `ProjectsModel` so each stays small; it reloads what is open whenever the
 * projects model says a project changed. No DOM here.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { IProjectsApi } from './api/client';
import type {
  AutoSyncMode,
  ConflictDetail,
  DeletedFile,
  HistoryRun,
  Keep,
  ToolboxProject
} from './api/types';
import { errorText, ProjectsModel } from './model';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'loaded'; value: T }
  | { state: 'error'; message: string };

/** Something an action in the project view did or could not do, said once. */
export interface INotice {
  kind: 'info' | 'error';
  text: string;
}

export class ProjectDetails {
  constructor(
    readonly projects: ProjectsModel,
    readonly api: IProjectsApi
  ) {
    projects.changed.connect(() => this._reloadOpen());
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  history(projectId: string): Loaded<HistoryRun[]> | undefined {
    return this._history.get(projectId);
  }

  notice(projectId: string): INotice | undefined {
    return this._notices.get(projectId);
  }

  resolving(projectId: string): string | undefined {
    return this._resolving.get(projectId);
  }

  /** The unresolved conflicts of a project, from its last file listing. */
  conflicts(projectId: string): ConflictDetail[] {
    const files = this.projects.files(projectId);
    return files?.state === 'loaded' ? [...(files.files.conflicts ?? [])] : [];
  }

  say(projectId: string, notice: INotice | null): void {
    if (notice) {
      this._notices.set(projectId, notice);
    } else {
      this._notices.delete(projectId);
    }
    this._emit();
  }

  /** Show (and load) or hide a project's history. */
  toggleHistory(projectId: string): void {
    if (this._history.has(projectId)) {
      this._history.delete(projectId);
      this._emit();
    } else {
      void this.loadHistory(projectId);
    }
  }

  async loadHistory(projectId: string): Promise<void> {
    if (!this._history.has(projectId)) {
      this._history.set(projectId, { state: 'loading' });
      this._emit();
    }
    try {
      const history = await this.api.history(projectId, 50);
      this._history.set(projectId, { state: 'loaded', value: history.runs });
    } catch (error) {
      this._history.set(projectId, { state: 'error', message: errorText(error) });
    }
    this._emit();
  }

  /** Keep one side (or both) of a conflict; the notice says where the other one went. */
  async resolve(projectId: string, conflict: ConflictDetail, keep: Keep): Promise<void> {
    this._resolving.set(projectId, conflict.path);
    this._emit();
    try {
      const result = await this.api.resolveConflict(projectId, conflict.path, keep);
      this.say(projectId, { kind: 'info', text: resolvedText(conflict, keep, result.trashed) });
      await this.projects.loadFiles(projectId);
    } catch (error) {
      this.say(projectId, {
        kind: 'error',
        text: `The conflict of ${conflict.path} could not be resolved: ${errorText(error)}`
      });
    } finally {
      this._resolving.delete(projectId);
      this._emit();
    }
  }

  deleted(projectId: string): Loaded<DeletedFile[]> | undefined {
    return this._deleted.get(projectId);
  }

  /** Show (and load) or hide a project's recently deleted files. */
  toggleDeleted(projectId: string): void {
    if (this._deleted.has(projectId)) {
      this._deleted.delete(projectId);
      this._emit();
    } else {
      void this.loadDeleted(projectId);
    }
  }

  async loadDeleted(projectId: string): Promise<void> {
    if (!this._deleted.has(projectId)) {
      this._deleted.set(projectId, { state: 'loading' });
      this._emit();
    }
    try {
      const listed = await this.api.deletedFiles(projectId);
      this._deleted.set(projectId, { state: 'loaded', value: listed.files });
    } catch (error) {
      this._deleted.set(projectId, { state: 'error', message: errorText(error) });
    }
    this._emit();
  }

  /** Bring a deleted file back: from the project trash, or its last cloud version. */
  async restoreDeleted(projectId: string, file: DeletedFile): Promise<void> {
    try {
      if (file.source === 'trash' && file.trash_path) {
        const result = await this.api.restoreFromTrash(projectId, file.trash_path);
        this.say(projectId, {
          kind: 'info',
          text:
            result.restored_as === file.path
              ? `Restored ${file.path} from the project trash.`
              : `Restored ${file.path} as ${result.restored_as}: a file named ${file.path} is there now and was kept.`
        });
      } else if (file.version) {
        const result = await this.api.restoreVersion(projectId, file.path, file.version);
        this.say(projectId, {
          kind: 'info',
          text: result.conflict_copy
            ? `Restored ${file.path} from the cloud; the file that was there is kept as ${result.conflict_copy}.`
            : `Restored ${file.path} from the cloud; the next push puts it back there.`
        });
      }
      await Promise.all([this.loadDeleted(projectId), this.projects.loadFiles(projectId)]);
    } catch (error) {
      this.say(projectId, {
        kind: 'error',
        text: `${file.path} could not be restored: ${errorText(error)}`
      });
    }
  }

  /** Projects Anaconda Toolbox left here (empty when there is no Toolbox database). */
  get toolbox(): ToolboxProject[] {
    return this._toolbox;
  }

  get toolboxNotice(): INotice | null {
    return this._toolboxNotice;
  }

  get adopting(): string | null {
    return this._adopting;
  }

  async loadToolbox(): Promise<void> {
    try {
      const found = await this.api.toolboxProjects();
      this._toolbox = [...found.projects];
      if (found.problem) {
        this._toolboxNotice = {
          kind: 'error',
          text: `Anaconda Toolbox's projects could not be read: ${found.problem}`
        };
      }
    } catch (error) {
      this._toolbox = [];
      this._toolboxNotice = { kind: 'error', text: `Anaconda Toolbox's projects: ${errorText(error)}` };
    }
    this._emit();
  }

  /** Adopt a Toolbox project where its folder is; it then shows in the list like any other. */
  async adopt(project: ToolboxProject): Promise<string | null> {
    this._adopting = project.id;
    this._emit();
    try {
      const result = await this.api.adoptToolboxProject(project.id);
      this._toolboxNotice = {
        kind: 'info',
        text:
          result.cloud_status === 'ok'
            ? `Adopted "${project.title}". Sync it to compare its files with the cloud: files that differ keep both versions.`
            : `Adopted "${project.title}" from Toolbox's stored copy; the cloud could not be asked (${result.cloud_status}), so it is checked at the next refresh.`
      };
      await Promise.all([this.projects.reload(), this.loadToolbox()]);
      return result.project.id;
    } catch (error) {
      this._toolboxNotice = { kind: 'error', text: `"${project.title}" was not adopted: ${errorText(error)}` };
      return null;
    } finally {
      this._adopting = null;
      this._emit();
    }
  }

  dismissToolboxNotice(): void {
    this._toolboxNotice = null;
    this._emit();
  }

  autoSyncBusy(projectId: string): boolean {
    return this._autoSyncBusy.has(projectId);
  }

  autoSyncError(projectId: string): string | null {
    return this._autoSyncErrors.get(projectId) ?? null;
  }

  /** Change a project's auto-sync mode; the server applies it from then on. */
  async setAutoSync(projectId: string, mode: AutoSyncMode, minutes: number | null): Promise<void> {
    this._autoSyncBusy.add(projectId);
    this._autoSyncErrors.delete(projectId);
    this._emit();
    try {
      await this.api.setAutoSync(projectId, mode, minutes);
      await this.projects.reload();
    } catch (error) {
      this._autoSyncErrors.set(projectId, `Auto-sync was not changed: ${errorText(error)}`);
    } finally {
      this._autoSyncBusy.delete(projectId);
      this._emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _reloadOpen(): void {
    // A project changed (a run ended, a file moved): a shown history may be stale.
    const shown = [...this._history.keys()].filter(id => this.projects.isOpen(id));
    const fingerprint = shown.map(id => `${id}:${this.projects.project(id)?.last_sync?.run_id}`).join();
    if (fingerprint !== this._lastFingerprint) {
      this._lastFingerprint = fingerprint;
      shown.forEach(id => void this.loadHistory(id));
    }
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _history = new Map<string, Loaded<HistoryRun[]>>();
  private _deleted = new Map<string, Loaded<DeletedFile[]>>();
  private _notices = new Map<string, INotice>();
  private _resolving = new Map<string, string>();
  private _autoSyncBusy = new Set<string>();
  private _toolbox: ToolboxProject[] = [];
  private _toolboxNotice: INotice | null = null;
  private _adopting: string | null = null;
  private _autoSyncErrors = new Map<string, string>();
  private _lastFingerprint = '';
  private _changed = new Signal<this, void>(this);
}

/** What resolving did, in words: which version stays where, and where the other one is. */
export function resolvedText(conflict: ConflictDetail, keep: Keep, trashed: readonly string[]): string {
  const where = trashed.length
    ? ` The other version is in the project trash (${trashed.join(', ')}) and among the file's cloud versions.`
    : '';
  switch (keep) {
    case 'local':
      return `Kept your edit as ${conflict.path}; it goes to the cloud with the next sync.${where}`;
    case 'remote':
      return `Kept the cloud's version of ${conflict.path}.${where}`;
    case 'both':
      return `Kept both: ${conflict.path} (the cloud's) and ${conflict.copy_path} (yours), both synced from now on.`;
  }
}

/**
 * A typed client of the extension's REST API. Requests go through JupyterLab's
 * `ServerConnection`, which carries the token or the cookie + XSRF header.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  AccountInfo,
  AutoSync,
  AutoSyncMode,
  ConflictList,
  CreateProjectBody,
  DeletedFiles,
  Direction,
  DownloadStarted,
  FileVersions,
  Health,
  Keep,
  NotebookDiff,
  PermissionsBody,
  PermissionsResult,
  PlanResult,
  Project,
  ProjectFiles,
  ProjectHistory,
  ProjectList,
  ResolveResult,
  RestoreResult,
  ToolboxAdopted,
  ToolboxProjects,
  TrashRestoreResult
} from './types';

export const API_PATH = 'aext_project_filebrowser_server';

/** A failed request: the server's stable `code` and its message in words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The operations the panel's model needs; `ProjectsClient` is the real one. */
export interface IProjectsApi {
  health(): Promise<Health>;
  account(): Promise<AccountInfo>;
  listProjects(refresh: boolean): Promise<ProjectList>;
  createProject(body: CreateProjectBody): Promise<Project>;
  projectFiles(projectId: string): Promise<ProjectFiles>;
  plan(projectId: string, direction: Direction, force?: boolean): Promise<PlanResult>;
  download(projectId: string, requestId: string): Promise<DownloadStarted>;
  conflicts(projectId: string): Promise<ConflictList>;
  resolveConflict(projectId: string, path: string, keep: Keep): Promise<ResolveResult>;
  fileVersions(projectId: string, path: string): Promise<FileVersions>;
  restoreVersion(projectId: string, path: string, version: string): Promise<RestoreResult>;
  versionContent(projectId: string, path: string, version: string): Promise<string>;
  history(projectId: string, limit?: number): Promise<ProjectHistory>;
  permissions(projectId: string): Promise<PermissionsResult>;
  setPermissions(projectId: string, body: PermissionsBody): Promise<PermissionsResult>;
  notebookDiff(base: unknown, remote: unknown): Promise<NotebookDiff>;
  setAutoSync(projectId: string, mode: AutoSyncMode, minutes: number | null): Promise<AutoSync>;
  deletedFiles(projectId: string): Promise<DeletedFiles>;
  restoreFromTrash(projectId: string, trashPath: string): Promise<TrashRestoreResult>;
  toolboxProjects(): Promise<ToolboxProjects>;
  adoptToolboxProject(projectId: string, move?: boolean): Promise<ToolboxAdopted>;
}

/** The error of a non-2xx answer, in words even when the body is not our JSON. */
export async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `the server answered ${response.status}`;
  try {
    const body = await response.json();
    if (body && typeof body.message === 'string') {
      message = body.message;
    }
    if (body && typeof body.code === 'string') {
      code = body.code;
    }
  } catch {
    // not JSON (a proxy's error page): keep the status line
  }
  return new ApiError(response.status, code, message);
}

export class ProjectsClient implements IProjectsApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** The URL of a route of the extension, e.g. `url('projects', id)`. */
  url(...parts: string[]): string {
    return URLExt.join(
      this.settings.baseUrl,
      API_PATH,
      ...parts.map(p => encodeURIComponent(p))
    );
  }

  async request<T>(
    url: string,
    init: RequestInit = {},
    query?: Record<string, string>
  ): Promise<T> {
    const full = query ? url + URLExt.objectToQueryString(query) : url;
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(full, init, this.settings);
    } catch (error) {
      throw new ApiError(0, 'network_error', `the Jupyter server did not answer (${error})`);
    }
    if (!response.ok) {
      throw await errorOf(response);
    }
    return (await response.json()) as T;
  }

  /** A POST of a JSON body. */
  post<T>(url: string, body: unknown): Promise<T> {
    return this.request<T>(url, { method: 'POST', body: JSON.stringify(body) });
  }

  health(): Promise<Health> {
    return this.request<Health>(this.url('health'));
  }

  account(): Promise<AccountInfo> {
    return this.request<AccountInfo>(this.url('account'));
  }

  listProjects(refresh: boolean): Promise<ProjectList> {
    return this.request<ProjectList>(
      this.url('projects'),
      {},
      refresh ? { refresh: 'true' } : undefined
    );
  }

  createProject(body: CreateProjectBody): Promise<Project> {
    return this.request<Project>(this.url('projects'), {
      method: 'POST',
      body: JSON.stringify(body)
    });
  }

  projectFiles(projectId: string): Promise<ProjectFiles> {
    return this.request<ProjectFiles>(this.url('projects', projectId, 'files'));
  }

  plan(projectId: string, direction: Direction, force = false): Promise<PlanResult> {
    const query: Record<string, string> = { direction };
    if (force) {
      query.force = 'true';
    }
    return this.request<PlanResult>(this.url('projects', projectId, 'plan'), {}, query);
  }

  download(projectId: string, requestId: string): Promise<DownloadStarted> {
    return this.request<DownloadStarted>(this.url('projects', projectId, 'download'), {
      method: 'POST',
      body: JSON.stringify({ request_id: requestId })
    });
  }

  conflicts(projectId: string): Promise<ConflictList> {
    return this.request<ConflictList>(this.url('projects', projectId, 'conflicts'));
  }

  resolveConflict(projectId: string, path: string, keep: Keep): Promise<ResolveResult> {
    return this.post<ResolveResult>(this.url('projects', projectId, 'conflicts', 'resolve'), {
      path,
      keep
    });
  }

  /** The URL of a route under one file; its path keeps its `/` between segments. */
  fileUrl(projectId: string, path: string, ...rest: string[]): string {
    return URLExt.join(
      this.url('projects', projectId, 'files'),
      ...path.split('/').map(p => encodeURIComponent(p)),
      ...rest.map(p => encodeURIComponent(p))
    );
  }

  fileVersions(projectId: string, path: string): Promise<FileVersions> {
    return this.request<FileVersions>(this.fileUrl(projectId, path, 'versions'));
  }

  restoreVersion(projectId: string, path: string, version: string): Promise<RestoreResult> {
    return this.post<RestoreResult>(this.fileUrl(projectId, path, 'restore'), { version });
  }

  /** One cloud revision's content as text (notebooks and text files are shown read-only). */
  async versionContent(projectId: string, path: string, version: string): Promise<string> {
    const url = this.fileUrl(projectId, path, 'versions', version, 'content');
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, {}, this.settings);
    } catch (error) {
      throw new ApiError(0, 'network_error', `the Jupyter server did not answer (${error})`);
    }
    if (!response.ok) {
      throw await errorOf(response);
    }
    return response.text();
  }

  history(projectId: string, limit = 50): Promise<ProjectHistory> {
    return this.request<ProjectHistory>(
      this.url('projects', projectId, 'history'),
      {},
      { limit: String(limit) }
    );
  }

  permissions(projectId: string): Promise<PermissionsResult> {
    return this.request<PermissionsResult>(this.url('projects', projectId, 'permissions'));
  }

  setPermissions(projectId: string, body: PermissionsBody): Promise<PermissionsResult> {
    return this.post<PermissionsResult>(this.url('projects', projectId, 'permissions'), body);
  }

  notebookDiff(base: unknown, remote: unknown): Promise<NotebookDiff> {
    return this.post<NotebookDiff>(this.url('notebook_diff'), { base, remote });
  }

  setAutoSync(projectId: string, mode: AutoSyncMode, minutes: number | null): Promise<AutoSync> {
    const body: Record<string, unknown> = { mode };
    if (mode === 'interval') {
      body.interval_minutes = minutes;
    }
    return this.request<AutoSync>(this.url('projects', projectId, 'auto_sync'), {
      method: 'PUT',
      body: JSON.stringify(body)
    });
  }

  deletedFiles(projectId: string): Promise<DeletedFiles> {
    return this.request<DeletedFiles>(this.url('projects', projectId, 'deleted'));
  }

  restoreFromTrash(projectId: string, trashPath: string): Promise<TrashRestoreResult> {
    return this.post<TrashRestoreResult>(this.url('projects', projectId, 'deleted', 'restore'), {
      trash_path: trashPath
    });
  }

  toolboxProjects(): Promise<ToolboxProjects> {
    return this.request<ToolboxProjects>(this.url('toolbox', 'projects'));
  }

  adoptToolboxProject(projectId: string, move = false): Promise<ToolboxAdopted> {
    return this.post<ToolboxAdopted>(this.url('toolbox', 'projects', projectId, 'adopt'), { move });
  }
}

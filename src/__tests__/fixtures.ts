/** Values and fakes shared by the unit tests. */
import { Signal } from '@lumino/signaling';

import type { IProjectsApi } from '../api/client';
import type { ClientMessage, ServerMessage } from '../api/messages';
import type { IProjectsSocket } from '../api/socket';
import type { Project, ProjectList } from '../api/types';

/** A downloaded project as `GET projects` lists it; `overrides` change any field. */
export function project(id: string, overrides: Partial<Project> = {}): Project {
  return {
    id,
    name: id,
    title: `Project ${id}`,
    description: null,
    owner_id: 'u1',
    owner_type: 'user',
    owner_name: 'alice',
    tags: ['demo'],
    default_environment: null,
    local_path: `/root/projects/${id}`,
    contents_path: `projects/${id}`,
    cloud_created_at: null,
    cloud_updated_at: null,
    cloud_state: 'present',
    version: 1,
    sync: { counts: {}, last_synced_at: null, sync_running: false },
    last_sync: null,
    needs_attention: null,
    ...overrides
  } as Project;
}

/** A socket that records what is sent; `online = false` refuses to send. */
export class FakeSocket implements IProjectsSocket {
  online = true;
  sent: ClientMessage[] = [];
  messageReceived: Signal<IProjectsSocket, ServerMessage> = new Signal(this);
  onlineChanged: Signal<IProjectsSocket, boolean> = new Signal(this);
  send(message: ClientMessage): boolean {
    if (!this.online) {
      return false;
    }
    this.sent.push(message);
    return true;
  }
  push(message: ServerMessage): void {
    this.messageReceived.emit(message);
  }
  dispose(): void {
    // nothing to close
  }
}

/** The API calls the model does not make in these tests. */
async function notUsed(): Promise<never> {
  throw new Error('not used by this test');
}

export function fakeApi(list: () => ProjectList, overrides: Partial<IProjectsApi> = {}): IProjectsApi {
  return {
    health: async () => ({
      status: 'ok',
      version: '0',
      db_path: '/x',
      migration: { outcome: 'current', error: null },
      cloud_url: 'http://cloud',
      cloud_configured: true,
      cloud: { reachable: true, error: null }
    }),
    account: async () => ({ id: 'u1', name: 'alice', email: null, organizations: [] }),
    listProjects: async () => list(),
    createProject: async body => project('new', { title: body.title }),
    projectFiles: async id => ({ project_id: id, cloud_status: 'ok', files: [], conflicts: [] }),
    plan: async (id, direction) => ({
      project_id: id,
      direction,
      operations: [],
      skipped: [],
      gate: null,
      counts: {},
      upload_bytes: 0,
      download_bytes: 0
    }),
    download: async id => ({ job_id: 'job', project: project(id) }),
    conflicts: notUsed,
    resolveConflict: notUsed,
    fileVersions: notUsed,
    restoreVersion: notUsed,
    versionContent: notUsed,
    history: notUsed,
    permissions: notUsed,
    setPermissions: notUsed,
    notebookDiff: notUsed,
    setAutoSync: notUsed,
    deletedFiles: notUsed,
    restoreFromTrash: notUsed,
    toolboxProjects: notUsed,
    adoptToolboxProject: notUsed,
    ...overrides
  };
}

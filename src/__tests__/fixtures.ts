/** Values shared by the unit tests. */
import type { Project } from '../api/types';

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

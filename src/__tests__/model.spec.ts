import { ApiError } from '../api/client';
import type { ProjectList } from '../api/types';
import { IGateTrip, ProjectsModel, runPercent } from '../model';
import { FakeSocket, fakeApi, project } from './fixtures';

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('ProjectsModel', () => {
  it('is connected as the account user after a refresh', async () => {
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' })),
      new FakeSocket()
    );
    await model.refresh();
    expect(model.connection).toEqual({ state: 'connected', user: 'alice', detail: null });
    expect(model.projects.map(p => p.id)).toEqual(['a']);
  });

  it.each([
    ['not_configured', 'not_logged_in'],
    ['auth_required', 'not_logged_in'],
    ['unreachable', 'cloud_unreachable']
  ])('cloud_status %s is the connection state %s', async (cloudStatus, state) => {
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [], cloud_status: cloudStatus as ProjectList['cloud_status'] })),
      new FakeSocket()
    );
    await model.refresh();
    expect(model.connection.state).toBe(state);
  });

  it('keeps the cloud\'s concurrent-overwrite warning from health', async () => {
    const api = fakeApi(() => ({ projects: [], cloud_status: 'ok' }));
    const health = await api.health();
    api.health = async () => ({
      ...health,
      cloud: { ...health.cloud, concurrent_writes_warning: 'this cloud ignores If-Match' }
    });
    const model = new ProjectsModel(api, new FakeSocket());
    await model.refresh();
    expect(model.cloudWarning).toBe('this cloud ignores If-Match');
  });

  it('reports a degraded store as store_error', async () => {
    const api = fakeApi(() => ({ projects: [], cloud_status: 'ok' }), {
      health: async () => ({
        status: 'degraded',
        version: '0',
        db_path: '/x',
        migration: { outcome: 'failed', error: 'disk I/O error' },
        cloud_url: '',
        cloud_configured: true,
        cloud: { reachable: true, error: null }
      })
    });
    const model = new ProjectsModel(api, new FakeSocket());
    await model.refresh();
    expect(model.connection).toEqual({
      state: 'store_error',
      user: null,
      detail: 'disk I/O error'
    });
  });

  it('keeps a list error in words', async () => {
    const api = fakeApi(() => {
      throw new ApiError(503, 'store_unavailable', 'the store is locked');
    });
    const model = new ProjectsModel(api, new FakeSocket());
    await model.refresh();
    expect(model.listError).toBe('the store is locked');
    expect(model.connection.state).toBe('store_error');
  });

  it('filters by title and tag, ignoring case', async () => {
    const model = new ProjectsModel(
      fakeApi(() => ({
        projects: [project('a', { title: 'Sales forecast' }), project('b', { tags: ['Team'] })],
        cloud_status: 'ok'
      })),
      new FakeSocket()
    );
    await model.refresh();
    model.filter = 'SALES';
    expect(model.visibleProjects.map(p => p.id)).toEqual(['a']);
    model.filter = 'team';
    expect(model.visibleProjects.map(p => p.id)).toEqual(['b']);
  });

  it('finds the project of a contents path', async () => {
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a'), project('ab')], cloud_status: 'ok' })),
      new FakeSocket()
    );
    await model.refresh();
    expect(model.projectOfPath('projects/ab/data/x.csv')?.id).toBe('ab');
    expect(model.projectOfPath('/projects/a')?.id).toBe('a');
    expect(model.projectOfPath('projects/abc/x')).toBeUndefined();
  });

  it('follows a sync from request to outcome', async () => {
    const socket = new FakeSocket();
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' })),
      socket
    );
    await model.refresh();
    model.startRun('a', 'sync');
    const sent = socket.sent[0] as { type: string; request_id: string; force: boolean };
    expect(sent.type).toBe('sync');
    expect(sent.force).toBe(false);
    const rid = sent.request_id;
    socket.push({
      type: 'progress',
      request_id: rid,
      project_id: 'a',
      done_files: 1,
      total_files: 4,
      done_bytes: 50,
      total_bytes: 200,
      current_path: 'x.csv'
    });
    expect(runPercent(model.run('a'))).toBe(25);
    socket.push({
      type: 'completed',
      request_id: rid,
      project_id: 'a',
      summary: {
        result: 'ok',
        counts: { upload: 4 },
        bytes: 200,
        failures: [],
        conflicts: [],
        merged_notebooks: [],
        skipped: []
      }
    });
    expect(model.run('a')?.outcome).toMatchObject({ kind: 'completed' });
    expect(runPercent(model.run('a'))).toBeNull();
  });

  it('says a run cannot start while the socket is offline', async () => {
    const socket = new FakeSocket();
    socket.online = false;
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' })),
      socket
    );
    model.startRun('a', 'push');
    expect(model.run('a')?.outcome).toMatchObject({ kind: 'failed', code: 'offline' });
  });

  it('turns a forceable gate into a review request, and force resends', async () => {
    const socket = new FakeSocket();
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' })),
      socket
    );
    const trips: IGateTrip[] = [];
    model.gateTripped.connect((_, trip) => trips.push(trip));
    model.startRun('a', 'sync');
    const rid = (socket.sent[0] as { request_id: string }).request_id;
    socket.push({
      type: 'failed',
      request_id: rid,
      project_id: 'a',
      code: 'mass_delete',
      message: '12 of 20 files would be deleted'
    });
    expect(model.run('a')?.outcome).toMatchObject({ kind: 'gate', code: 'mass_delete' });
    expect(trips).toEqual([
      { projectId: 'a', direction: 'sync', code: 'mass_delete', message: '12 of 20 files would be deleted' }
    ]);
    model.startRun('a', 'sync', true);
    expect(socket.sent[1]).toMatchObject({ type: 'sync', force: true });
  });

  it('shows the progress of a run started in another tab', async () => {
    const socket = new FakeSocket();
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' })),
      socket
    );
    socket.push({
      type: 'progress',
      request_id: 'other-tab',
      project_id: 'a',
      done_files: 1,
      total_files: 2,
      done_bytes: 0,
      total_bytes: 0,
      current_path: null
    });
    expect(model.run('a')).toMatchObject({ kind: null, startedHere: false });
    expect(runPercent(model.run('a'))).toBe(50);
  });

  it('reloads the list and open files on project_changed', async () => {
    let calls = 0;
    let fileCalls = 0;
    const socket = new FakeSocket();
    const api = fakeApi(
      () => {
        calls++;
        return { projects: [project('a')], cloud_status: 'ok' };
      },
      {
        projectFiles: async id => {
          fileCalls++;
          return { project_id: id, cloud_status: 'ok', files: [], conflicts: [] };
        }
      }
    );
    const model = new ProjectsModel(api, socket);
    await model.refresh();
    model.openDetail('a');
    await flush();
    const before = { calls, fileCalls };
    socket.push({ type: 'project_changed', project_id: 'a', reason: 'cloud_change' });
    socket.push({ type: 'project_changed', project_id: 'a', reason: 'local_change' });
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(calls - before.calls).toBe(1); // two events, one reload
    expect(fileCalls - before.fileCalls).toBe(1);
    model.toggleOpen('a'); // closed: its statuses are still refreshed for the badge
    socket.push({ type: 'project_changed', project_id: 'a', reason: 'local_change' });
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(fileCalls - before.fileCalls).toBe(2);
    expect(calls - before.calls).toBe(2);
  });

  it('opens the detail of a downloaded project when its download completes', async () => {
    const socket = new FakeSocket();
    let downloaded = false;
    const api = fakeApi(
      () => ({
        projects: [project('a', downloaded ? {} : { local_path: null, contents_path: null })],
        cloud_status: 'ok'
      }),
      {
        download: async (id, requestId) => {
          downloaded = true;
          setTimeout(() =>
            socket.push({
              type: 'completed',
              request_id: requestId,
              project_id: id,
              summary: {
                result: 'ok',
                counts: { download: 3 },
                bytes: 10,
                failures: [],
                conflicts: [],
                merged_notebooks: [],
                skipped: []
              }
            })
          );
          return { job_id: requestId, project: project(id) };
        }
      }
    );
    const model = new ProjectsModel(api, socket);
    await model.refresh();
    await model.download('a');
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(model.isOpen('a')).toBe(true);
    expect(model.files('a')).toMatchObject({ state: 'loaded' });
  });

  it('keeps the newest answer when two file listings answer out of order', async () => {
    const answers: ((status: string) => void)[] = [];
    const model = new ProjectsModel(
      fakeApi(() => ({ projects: [project('a')], cloud_status: 'ok' }), {
        projectFiles: id =>
          new Promise(resolve =>
            answers.push(status =>
              resolve({
                project_id: id,
                cloud_status: 'ok',
                files: [{ path: 'nb.ipynb', status } as never],
                conflicts: []
              })
            )
          )
      }),
      new FakeSocket()
    );
    await model.reload();
    const older = model.loadFiles('a'); // asked before a run ended
    const newer = model.loadFiles('a'); // asked after
    answers[1]('modified_local');
    await newer;
    answers[0]('conflict'); // the stale answer arrives last
    await older;
    const files = model.files('a');
    expect(files?.state === 'loaded' && files.files.files[0].status).toBe('modified_local');
  });

  it('keeps the newest project list when two reloads answer out of order', async () => {
    const lists: ((title: string) => void)[] = [];
    const api = fakeApi(() => ({ projects: [], cloud_status: 'ok' }), {
      listProjects: () =>
        new Promise(resolve =>
          lists.push(title =>
            resolve({ projects: [project('a', { title })], cloud_status: 'ok' })
          )
        )
    });
    const model = new ProjectsModel(api, new FakeSocket());
    const older = model.reload();
    const newer = model.reload();
    lists[1]('new');
    await newer;
    lists[0]('old');
    await older;
    expect(model.projects[0].title).toBe('new');
  });
});

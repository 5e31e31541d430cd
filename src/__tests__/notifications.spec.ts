import { Notification } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';

import { ProjectsModel } from '../model';
import { notifyRun } from '../notifications';
import { FakeSocket, fakeApi, project } from './fixtures';

const trans = nullTranslator.load('test');

function latest(): Notification.INotification {
  const all = Notification.manager.notifications;
  return all[0];
}

async function modelWith(socket: FakeSocket): Promise<ProjectsModel> {
  const model = new ProjectsModel(
    fakeApi(() => ({ projects: [project('p1', { title: 'Sales' })], cloud_status: 'ok' })),
    socket
  );
  await model.refresh();
  return model;
}

describe('notifyRun', () => {
  beforeEach(() => Notification.dismiss());

  it('says at once that a run could not start, instead of "starting…" for ever', async () => {
    const socket = new FakeSocket();
    socket.online = false;
    const model = await modelWith(socket);
    model.startRun('p1', 'sync');
    notifyRun(model, 'p1', trans, () => undefined);
    expect(latest().type).toBe('error');
    expect(latest().message).toContain('"Sales" stopped');
    expect(latest().message).toContain('connection to the Jupyter server is down');
  });

  it('replaces the progress notification with the outcome', async () => {
    const socket = new FakeSocket();
    const model = await modelWith(socket);
    model.startRun('p1', 'push');
    notifyRun(model, 'p1', trans, () => undefined);
    expect(latest().type).toBe('in-progress');
    const progressId = latest().id;
    const request_id = (socket.sent[0] as { request_id: string }).request_id;
    socket.push({
      type: 'completed',
      request_id,
      project_id: 'p1',
      summary: {
        result: 'ok',
        counts: { upload: 2 },
        bytes: 2048,
        failures: [],
        conflicts: [],
        merged_notebooks: [],
        skipped: []
      }
    });
    expect(Notification.manager.count).toBe(1);
    expect(latest().id).not.toBe(progressId);
    expect(latest().type).toBe('success');
    expect(latest().message).toContain('"Sales" done. 2 files uploaded');
  });
});

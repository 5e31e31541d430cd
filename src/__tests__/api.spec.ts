import { errorOf, ProjectsClient } from '../api/client';
import { parseServerMessage } from '../api/messages';
import { MAX_RETRY_MS, retryDelay } from '../api/socket';
import { parseTags } from '../words';

function response(status: number, body: unknown, statusText = ''): Response {
  return {
    status,
    statusText,
    ok: status < 400,
    json: async () => {
      if (typeof body === 'string') {
        throw new SyntaxError('not JSON');
      }
      return body;
    }
  } as unknown as Response;
}

describe('errorOf', () => {
  it('keeps the server code and message', async () => {
    const error = await errorOf(response(409, { code: 'sync_in_progress', message: 'busy' }));
    expect([error.status, error.code, error.message]).toEqual([409, 'sync_in_progress', 'busy']);
  });

  it('says something in words for a body that is not JSON', async () => {
    const error = await errorOf(response(502, '<html>', 'Bad Gateway'));
    expect([error.code, error.message]).toEqual(['http_502', 'Bad Gateway']);
  });
});

describe('ProjectsClient.url', () => {
  it('joins the base URL, the extension path and encoded parts', () => {
    const client = new ProjectsClient({ baseUrl: 'http://h/user/a/' } as never);
    expect(client.url('projects', 'x y', 'files')).toBe(
      'http://h/user/a/aext_project_filebrowser_server/projects/x%20y/files'
    );
  });
});

describe('parseServerMessage', () => {
  it('accepts the known types only', () => {
    expect(parseServerMessage('{"type":"project_changed","project_id":"a","reason":"x"}')).toEqual({
      type: 'project_changed',
      project_id: 'a',
      reason: 'x'
    });
    expect(parseServerMessage('{"type":"surprise"}')).toBeNull();
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('null')).toBeNull();
  });
});

describe('retryDelay', () => {
  it('doubles and is capped', () => {
    expect([0, 1, 2].map(retryDelay)).toEqual([500, 1000, 2000]);
    expect(retryDelay(30)).toBe(MAX_RETRY_MS);
  });
});

describe('parseTags', () => {
  it('splits on commas, trims, drops empties and repeats', () => {
    expect(parseTags(' demo, q3 ,,demo ')).toEqual(['demo', 'q3']);
  });
});

/**
 * "Share…": whether the project is public, who it is shared with, and adding or removing
 * someone. Each change is sent at once; what the cloud refused is said in words here.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { PermissionsBody, PermissionsResult } from '../api/types';
import { errorText } from '../model';

export interface IShareFormProps {
  load(): Promise<PermissionsResult>;
  change(body: PermissionsBody): Promise<PermissionsResult>;
  trans: TranslationBundle;
}

type Role = 'reader' | 'writer' | 'owner';

export function ShareForm(props: IShareFormProps): JSX.Element {
  const { trans } = props;
  const [state, setState] = React.useState<PermissionsResult | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const [who, setWho] = React.useState('');
  const [kind, setKind] = React.useState<'user' | 'organization'>('user');
  const [role, setRole] = React.useState<Role>('reader');

  React.useEffect(() => {
    props
      .load()
      .then(setState)
      .catch(e => setError(errorText(e)));
  }, []);

  const send = async (body: PermissionsBody, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      setState(await props.change(body));
      after?.();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const add = (event: React.FormEvent) => {
    event.preventDefault();
    const names = who
      .split(',')
      .map(n => n.trim())
      .filter(Boolean);
    if (names.length === 0) {
      setError(trans.__('Type a user name or an organization first.'));
      return;
    }
    const body: PermissionsBody =
      kind === 'user' ? { users: names, role } : { organizations: names, role };
    void send(body, () => setWho(''));
  };

  return (
    <div className="aext-Share">
      {error && (
        <div className="aext-Share-error" role="alert">
          {error}
        </div>
      )}
      {!state && !error && <div className="aext-Files-note">{trans.__('Loading…')}</div>}
      {state && (
        <>
          <label className="aext-Share-public">
            <input
              type="checkbox"
              name="is_public"
              checked={state.is_public}
              disabled={busy}
              onChange={e => void send({ is_public: e.currentTarget.checked })}
            />
            {trans.__('Public: anyone can see this project')}
          </label>
          <h4 className="aext-Section-title">{trans.__('Shared with')}</h4>
          {state.grants.length === 0 && (
            <div className="aext-Files-note">{trans.__('Nobody yet.')}</div>
          )}
          <ul className="aext-Share-grants">
            {state.grants.map(grant => (
              <li key={`${grant.type}:${grant.id}`} className="aext-Share-grant" data-grant={grant.id}>
                <span>
                  {grant.type === 'organization'
                    ? trans.__('Organization %1', grant.id)
                    : grant.id}
                </span>
                <span className="aext-Tag">{grant.role}</span>
                <button
                  type="button"
                  className="aext-Button"
                  disabled={busy}
                  onClick={() =>
                    void send(
                      grant.type === 'organization'
                        ? { organizations: [grant.id], role: 'none' }
                        : { users: [grant.id], role: 'none' }
                    )
                  }
                >
                  {trans.__('Remove')}
                </button>
              </li>
            ))}
          </ul>
          <form className="aext-Share-add" onSubmit={add}>
            <select
              name="kind"
              value={kind}
              onChange={e => setKind(e.currentTarget.value as 'user' | 'organization')}
            >
              <option value="user">{trans.__('User')}</option>
              <option value="organization">{trans.__('Organization')}</option>
            </select>
            <input
              name="who"
              value={who}
              placeholder={trans.__('ids, comma separated')}
              aria-label={trans.__('Who to share with')}
              onChange={e => setWho(e.currentTarget.value)}
            />
            <select name="role" value={role} onChange={e => setRole(e.currentTarget.value as Role)}>
              <option value="reader">{trans.__('can read')}</option>
              <option value="writer">{trans.__('can edit')}</option>
              <option value="owner">{trans.__('owner')}</option>
            </select>
            <button type="submit" className="aext-Button aext-mod-primary" disabled={busy}>
              {trans.__('Share')}
            </button>
          </form>
        </>
      )}
    </div>
  );
}

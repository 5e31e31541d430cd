/**
 * A project's unresolved conflicts: the file, both versions (who, when, how big), the
 * notebook cells edited on both sides, and what the user can do: compare, keep one, keep both.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { ConflictDetail, ConflictSide, Keep } from '../api/types';
import { formatBytes, timeAgo } from '../words';

export interface IConflictListProps {
  conflicts: ConflictDetail[];
  resolving: string | undefined;
  now: number;
  trans: TranslationBundle;
  onCompare(conflict: ConflictDetail): void;
  onResolve(conflict: ConflictDetail, keep: Keep): void;
}

function Side(props: { label: string; side: ConflictSide; now: number; trans: TranslationBundle }): JSX.Element {
  const { side, trans } = props;
  const facts = [
    side.author ?? trans.__('someone'),
    side.modified_at ? timeAgo(side.modified_at, trans, props.now) : null,
    side.size !== null && side.size !== undefined ? formatBytes(side.size) : null,
    side.version_id ? trans.__('version %1', side.version_id.slice(0, 12)) : null
  ].filter(Boolean);
  return (
    <div className="aext-Conflict-side">
      <span className="aext-Conflict-label">{props.label}</span>{' '}
      <span className="aext-Conflict-facts">{facts.join(' · ')}</span>
      {!side.exists_locally && (
        <span className="aext-Conflict-missing"> {trans.__('(no longer on disk)')}</span>
      )}
    </div>
  );
}

export function ConflictList(props: IConflictListProps): JSX.Element | null {
  const { conflicts, trans } = props;
  if (conflicts.length === 0) {
    return null;
  }
  return (
    <section className="aext-Conflicts" aria-label={trans.__('Conflicts')}>
      <h4 className="aext-Section-title">
        {trans._n('%1 conflict to resolve', '%1 conflicts to resolve', conflicts.length)}
      </h4>
      <ul className="aext-Conflicts-list">
        {conflicts.map(conflict => {
          const busy = props.resolving === conflict.path;
          return (
            <li key={conflict.id} className="aext-Conflict" data-conflict-path={conflict.path}>
              <div className="aext-Conflict-path" title={conflict.path}>
                {conflict.path}
              </div>
              <Side label={trans.__('Yours:')} side={conflict.local} now={props.now} trans={trans} />
              <Side label={trans.__('Cloud:')} side={conflict.remote} now={props.now} trans={trans} />
              <div className="aext-Conflict-copy">
                {trans.__('Your edit is in %1', conflict.copy_path)}
              </div>
              {conflict.cells.length > 0 && (
                <div className="aext-Conflict-cells">
                  {trans._n(
                    'Cell edited on both sides: %2',
                    'Cells edited on both sides: %2',
                    conflict.cells.length,
                    conflict.cells.join(', ')
                  )}
                </div>
              )}
              <div className="aext-Conflict-actions">
                <button type="button" className="aext-Button" onClick={() => props.onCompare(conflict)}>
                  {trans.__('Compare')}
                </button>
                <button
                  type="button"
                  className="aext-Button"
                  disabled={busy}
                  onClick={() => props.onResolve(conflict, 'local')}
                >
                  {trans.__('Keep mine')}
                </button>
                <button
                  type="button"
                  className="aext-Button"
                  disabled={busy}
                  onClick={() => props.onResolve(conflict, 'remote')}
                >
                  {trans.__('Keep cloud')}
                </button>
                <button
                  type="button"
                  className="aext-Button"
                  disabled={busy}
                  onClick={() => props.onResolve(conflict, 'both')}
                >
                  {trans.__('Keep both')}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

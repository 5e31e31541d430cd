/** How the last run of a project ended, kept visible until the user closes it. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IRunSummary } from '../api/messages';
import type { IRun } from '../model';
import { formatBytes } from '../words';
import { runTitle } from './RunProgress';

export interface IRunOutcomeProps {
  run: IRun;
  onDismiss(): void;
  onReviewGate(message: string): void;
  trans: TranslationBundle;
}

export function countsText(summary: IRunSummary, trans: TranslationBundle): string {
  const c = summary.counts ?? {};
  const parts: string[] = [];
  const add = (n: number | undefined, one: string, many: string) => {
    if (n) {
      parts.push(trans._n(one, many, n));
    }
  };
  add(c['upload'], '%1 file uploaded', '%1 files uploaded');
  add(c['download'], '%1 file downloaded', '%1 files downloaded');
  add(c['delete_remote'], '%1 deleted in the cloud', '%1 deleted in the cloud');
  add(c['trash_local'], '%1 moved to the project trash', '%1 moved to the project trash');
  add(c['notebook_merge'], '%1 notebook merged', '%1 notebooks merged');
  add(c['conflict'], '%1 conflict kept both versions', '%1 conflicts kept both versions');
  // record_base / drop_base only record that both sides already agree: nothing moved.
  if (!parts.length) {
    return trans.__('Nothing needed to change.');
  }
  return `${parts.join(', ')} (${formatBytes(summary.bytes)}).`;
}

/** Said when the cloud slowed the run down (429/503), else null: a slow run explains itself. */
export function throttleText(summary: IRunSummary, trans: TranslationBundle): string | null {
  const times = summary.network?.throttled ?? 0;
  if (!times) {
    return null;
  }
  return trans._n(
    'The cloud asked us to slow down once; the run went on at a gentler pace.',
    'The cloud asked us to slow down %1 times; the run went on at a gentler pace.',
    times
  );
}

function resultHeading(run: IRun, summary: IRunSummary, trans: TranslationBundle): string {
  const what = runTitle(run, trans);
  switch (summary.result) {
    case 'ok':
      return trans.__('%1 completed', what);
    case 'partial':
      return trans.__('%1 partly completed: some files failed', what);
    case 'cancelled':
      return trans.__('%1 cancelled; what was done is kept', what);
    default:
      return trans.__('%1 failed', what);
  }
}

export function RunOutcome(props: IRunOutcomeProps): JSX.Element | null {
  const { run, trans } = props;
  const outcome = run.outcome;
  if (!outcome) {
    return null;
  }
  let body: JSX.Element;
  let tone: string;
  if (outcome.kind === 'completed') {
    const s = outcome.summary;
    tone = s.result === 'ok' ? 'ok' : s.result === 'cancelled' ? 'info' : 'error';
    body = (
      <>
        <div className="aext-Outcome-heading">{resultHeading(run, s, trans)}</div>
        <div>{countsText(s, trans)}</div>
        {throttleText(s, trans) && <div className="aext-Outcome-note">{throttleText(s, trans)}</div>}
        {s.failures?.length > 0 && (
          <ul className="aext-Outcome-list">
            {s.failures.map(f => (
              <li key={f.path}>
                <code>{f.path}</code>: {f.message ?? f.code}
              </li>
            ))}
          </ul>
        )}
        {s.conflicts?.length > 0 && (
          <ul className="aext-Outcome-list">
            {s.conflicts.map(c => (
              <li key={c.path}>
                {trans.__('%1 changed on both sides; your version was kept as %2', c.path, c.copy_path ?? '')}
              </li>
            ))}
          </ul>
        )}
      </>
    );
  } else if (outcome.kind === 'gate') {
    tone = 'warn';
    body = (
      <>
        <div className="aext-Outcome-heading">
          {trans.__('Stopped by a safety check; nothing was changed')}
        </div>
        <div>{outcome.message}</div>
        <button
          type="button"
          className="aext-Button"
          onClick={() => props.onReviewGate(outcome.message)}
        >
          {trans.__('Review…')}
        </button>
      </>
    );
  } else {
    tone = 'error';
    body = (
      <>
        <div className="aext-Outcome-heading">{trans.__('%1 failed', runTitle(run, trans))}</div>
        <div>
          {outcome.message} <span className="aext-Code">({outcome.code})</span>
        </div>
      </>
    );
  }
  return (
    <div
      className={`aext-Outcome aext-mod-${tone}`}
      role={tone === 'ok' || tone === 'info' ? 'status' : 'alert'}
      data-outcome={outcome.kind === 'completed' ? outcome.summary.result : outcome.kind}
    >
      {body}
      <button
        type="button"
        className="aext-Outcome-close"
        aria-label={trans.__('Dismiss')}
        title={trans.__('Dismiss')}
        onClick={props.onDismiss}
      >
        ×
      </button>
    </div>
  );
}

/** A project's recorded runs, newest first; a failed or partial run says why and which files. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { HistoryRun } from '../api/types';
import type { Loaded } from '../details';
import { failurePath, formatBytes, runLine, timeAgo } from '../words';

export interface IHistoryViewProps {
  history: Loaded<HistoryRun[]>;
  now: number;
  trans: TranslationBundle;
  onOpen(path: string): void;
}

function duration(run: HistoryRun): string {
  if (!run.finished_at) {
    return '';
  }
  const seconds = (Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds / 60)} min`;
}

function Run(props: { run: HistoryRun; now: number; trans: TranslationBundle; onOpen(path: string): void }): JSX.Element {
  const { run, trans } = props;
  const problem = run.result !== 'ok';
  return (
    <li className={`aext-HistoryRun aext-mod-${run.result}`} data-run-result={run.result} data-trigger={run.trigger}>
      <div className="aext-HistoryRun-head">
        <span className="aext-HistoryRun-when" title={run.started_at}>
          {timeAgo(run.started_at, trans, props.now)}
        </span>
        <span className="aext-HistoryRun-line">{runLine(run, trans)}</span>
        <span className="aext-HistoryRun-meta">
          {[duration(run), run.bytes ? formatBytes(run.bytes) : ''].filter(Boolean).join(' · ')}
        </span>
      </div>
      {problem && run.error_code && (
        <div className="aext-HistoryRun-error">{trans.__('Why: %1', run.error_code)}</div>
      )}
      {run.failures.length > 0 && (
        <ul className="aext-HistoryRun-files" aria-label={trans.__('Files that failed')}>
          {run.failures.map(failure => {
            const path = failurePath(failure);
            return (
              <li key={failure}>
                {path ? (
                  <button type="button" className="aext-Link" onClick={() => props.onOpen(path)}>
                    {failure}
                  </button>
                ) : (
                  failure
                )}
              </li>
            );
          })}
        </ul>
      )}
      {run.conflicts.length > 0 && (
        <ul className="aext-HistoryRun-files" aria-label={trans.__('Conflicts')}>
          {run.conflicts.map(c => (
            <li key={c.path}>
              {c.copy_path
                ? trans.__('%1: both kept, yours as %2', c.path, c.copy_path)
                : trans.__('%1: merged', c.path)}
              {c.resolution ? ` (${trans.__('resolved: %1', c.resolution)})` : ''}
            </li>
          ))}
        </ul>
      )}
      {run.merged_notebooks.length > 0 && (
        <div className="aext-HistoryRun-merged">
          {trans.__('Notebooks merged cell by cell: %1', run.merged_notebooks.join(', '))}
        </div>
      )}
    </li>
  );
}

export function HistoryView(props: IHistoryViewProps): JSX.Element {
  const { history, trans } = props;
  let body: JSX.Element;
  if (history.state === 'loading') {
    body = <div className="aext-Files-note">{trans.__('Loading the history…')}</div>;
  } else if (history.state === 'error') {
    body = (
      <div className="aext-Files-note aext-mod-error" role="alert">
        {trans.__('The history could not be loaded: %1', history.message)}
      </div>
    );
  } else if (history.value.length === 0) {
    body = <div className="aext-Files-note">{trans.__('No push, pull or sync yet.')}</div>;
  } else {
    body = (
      <ul className="aext-History-list">
        {history.value.map(run => (
          <Run key={run.id} run={run} now={props.now} trans={trans} onOpen={props.onOpen} />
        ))}
      </ul>
    );
  }
  return (
    <section className="aext-History" aria-label={trans.__('History')}>
      <h4 className="aext-Section-title">{trans.__('History')}</h4>
      {body}
    </section>
  );
}

/** A running push, pull, sync or download: a progress bar, counts, the current file, Cancel. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRun, runPercent } from '../model';
import { formatBytes } from '../words';

export interface IRunProgressProps {
  run: IRun;
  onCancel(): void;
  trans: TranslationBundle;
}

export function runTitle(run: IRun, trans: TranslationBundle): string {
  switch (run.kind) {
    case 'push':
      return trans.__('Pushing');
    case 'pull':
      return trans.__('Pulling');
    case 'sync':
      return trans.__('Syncing');
    case 'download':
      return trans.__('Downloading');
    default:
      return trans.__('Syncing (started in another tab)');
  }
}

export function RunProgress(props: IRunProgressProps): JSX.Element {
  const { run, trans } = props;
  const percent = Math.round(runPercent(run) ?? 0);
  const p = run.progress;
  return (
    <div className="aext-Run">
      <div className="aext-Run-title">
        {runTitle(run, trans)} · {percent} %
      </div>
      <div
        className="aext-Progress"
        role="progressbar"
        aria-label={runTitle(run, trans)}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div className="aext-Progress-bar" style={{ width: `${percent}%` }} />
      </div>
      <div className="aext-Run-detail">
        {p
          ? trans.__(
              '%1 of %2 files · %3 of %4',
              p.done_files,
              p.total_files,
              formatBytes(p.done_bytes),
              formatBytes(p.total_bytes)
            )
          : trans.__('Comparing the folder with the cloud…')}
      </div>
      {p?.current_path && (
        <div className="aext-Run-current" title={p.current_path}>
          {p.current_path}
        </div>
      )}
      <button type="button" className="aext-Button" onClick={props.onCancel}>
        {trans.__('Cancel')}
      </button>
    </div>
  );
}

/**
 * A project's auto-sync: off, on save, or every N minutes, applied by the server. A pause
 * (a safety check stopped an automatic run; auto-sync never forces) is said in words, and
 * choosing a mode again resumes it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { AutoSync, AutoSyncMode } from '../api/types';
import { timeAgo } from '../words';

export interface IAutoSyncControlProps {
  autoSync: AutoSync | undefined;
  busy: boolean;
  error: string | null;
  now: number;
  trans: TranslationBundle;
  onChange(mode: AutoSyncMode, minutes: number | null): void;
}

export function AutoSyncControl(props: IAutoSyncControlProps): JSX.Element {
  const { trans } = props;
  const current = props.autoSync ?? {
    mode: 'off' as AutoSyncMode,
    interval_minutes: null,
    paused: false,
    paused_reason: null,
    last_run_at: null
  };
  const [minutes, setMinutes] = React.useState(String(current.interval_minutes ?? 10));
  const parsedMinutes = () => {
    const value = Number.parseInt(minutes, 10);
    return Number.isFinite(value) ? Math.min(1440, Math.max(1, value)) : 10;
  };
  return (
    <div className="aext-AutoSync" data-auto-sync={current.mode} data-paused={current.paused}>
      <label className="aext-AutoSync-label">
        {trans.__('Auto-sync')}
        <select
          name="auto_sync"
          value={current.mode}
          disabled={props.busy}
          onChange={e => {
            const mode = e.currentTarget.value as AutoSyncMode;
            props.onChange(mode, mode === 'interval' ? parsedMinutes() : null);
          }}
        >
          <option value="off">{trans.__('off')}</option>
          <option value="on_save">{trans.__('on save')}</option>
          <option value="interval">{trans.__('every few minutes')}</option>
        </select>
      </label>
      {current.mode === 'interval' && (
        <label className="aext-AutoSync-minutes">
          {trans.__('every')}
          <input
            type="number"
            name="interval_minutes"
            min={1}
            max={1440}
            value={minutes}
            disabled={props.busy}
            onChange={e => setMinutes(e.currentTarget.value)}
            onBlur={() => props.onChange('interval', parsedMinutes())}
          />
          {trans.__('min')}
        </label>
      )}
      {current.mode !== 'off' && current.last_run_at && !current.paused && (
        <span className="aext-AutoSync-last">
          {trans.__('last automatic sync %1', timeAgo(current.last_run_at, trans, props.now))}
        </span>
      )}
      {current.paused && (
        <div className="aext-AutoSync-paused" role="alert">
          {trans.__(
            'Auto-sync is paused: %1 Sync by hand to review it, then choose a mode again to resume.',
            current.paused_reason ?? trans.__('an automatic run needs your attention.')
          )}
        </div>
      )}
      {props.error && (
        <div className="aext-AutoSync-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

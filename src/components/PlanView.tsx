/** What a push, pull or sync would do (a dry run), grouped by operation. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { PlanOperation, PlanResult } from '../api/types';
import { formatBytes } from '../words';

export function operationLabel(kind: string, trans: TranslationBundle): string {
  switch (kind) {
    case 'upload':
      return trans.__('Upload to the cloud');
    case 'download':
      return trans.__('Download from the cloud');
    case 'delete_remote':
      return trans.__('Delete in the cloud (earlier versions stay in the cloud)');
    case 'trash_local':
      return trans.__('Move to the project trash here');
    case 'conflict':
      return trans.__('Changed on both sides: keep both versions');
    case 'record_base':
    case 'drop_base':
      return trans.__('Already the same on both sides: just record it');
    default:
      return kind;
  }
}

/** The operations that remove a file from one side. */
export function deletions(plan: PlanResult): PlanOperation[] {
  return plan.operations.filter(op => op.kind === 'delete_remote' || op.kind === 'trash_local');
}

export function PlanView(props: { plan: PlanResult; trans: TranslationBundle }): JSX.Element {
  const { plan, trans } = props;
  const groups = new Map<string, PlanOperation[]>();
  for (const op of plan.operations) {
    groups.set(op.kind, [...(groups.get(op.kind) ?? []), op]);
  }
  return (
    <div className="aext-Plan">
      {plan.gate && (
        <div className="aext-Outcome aext-mod-warn" role="alert">
          {plan.gate.message}
        </div>
      )}
      {plan.operations.length === 0 && !plan.gate && (
        <p>{trans.__('Nothing to do: the folder and the cloud agree.')}</p>
      )}
      {plan.operations.length > 0 && (
        <p>
          {trans.__(
            '%1 to upload, %2 to download.',
            formatBytes(plan.upload_bytes),
            formatBytes(plan.download_bytes)
          )}
        </p>
      )}
      {[...groups.entries()].map(([kind, ops]) => (
        <section key={kind} className="aext-Plan-group" data-operation={kind}>
          <h4>
            {operationLabel(kind, trans)} ({ops.length})
          </h4>
          <ul>
            {ops.slice(0, 200).map(op => (
              <li key={op.path} title={op.reason}>
                <code>{op.path}</code>
                {op.size !== null && op.size !== undefined ? ` · ${formatBytes(op.size)}` : ''}
              </li>
            ))}
            {ops.length > 200 && <li>{trans.__('…and %1 more', ops.length - 200)}</li>}
          </ul>
        </section>
      ))}
      {plan.skipped.length > 0 && (
        <section className="aext-Plan-group" data-operation="skipped">
          <h4>
            {trans.__('Skipped')} ({plan.skipped.length})
          </h4>
          <ul>
            {plan.skipped.slice(0, 200).map(s => (
              <li key={s.path}>
                <code>{s.path}</code>: {s.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** One project in the list: title, owner, tags, badge, last sync, actions, run, detail. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Direction, Project } from '../api/types';
import type { ProjectDetails } from '../details';
import { ProjectsModel, runPercent } from '../model';
import { projectBadge, timeAgo } from '../words';
import type { IPanelActions } from './actions';
import { AutoSyncControl } from './AutoSyncControl';
import { ConflictList } from './ConflictList';
import { DeletedFiles } from './DeletedFiles';
import { FileList } from './FileList';
import { HistoryView } from './HistoryView';
import { RunOutcome } from './RunOutcome';
import { RunProgress } from './RunProgress';
import { SyncBadge } from './SyncBadge';

export interface IProjectRowProps {
  project: Project;
  model: ProjectsModel;
  details: ProjectDetails;
  actions: IPanelActions;
  now: number;
  trans: TranslationBundle;
}

function ActionButton(props: {
  label: string;
  onClick(): void;
  disabled?: boolean;
  primary?: boolean;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`aext-Button${props.primary ? ' aext-mod-primary' : ''}`}
      onClick={props.onClick}
      disabled={props.disabled}
    >
      {props.label}
    </button>
  );
}

export function ProjectRow(props: IProjectRowProps): JSX.Element {
  const { project, model, details, actions, trans } = props;
  const notice = details.notice(project.id);
  const history = details.history(project.id);
  const deleted = details.deleted(project.id);
  const run = model.run(project.id);
  const running = !!run && !run.outcome;
  const percent = runPercent(run);
  const open = model.isOpen(project.id);
  const local = !!project.local_path;
  const gone = project.cloud_state === 'cloud_deleted';
  const busy = running || !!project.sync?.sync_running;
  const start = (direction: Direction) => model.startRun(project.id, direction);
  const lastSync = project.last_sync?.at ?? project.sync?.last_synced_at ?? null;

  return (
    <li
      className={`aext-Project${open ? ' aext-mod-open' : ''}`}
      data-project-id={project.id}
    >
      <div className="aext-Project-header">
        <button
          type="button"
          className="aext-Project-title"
          aria-expanded={open}
          onClick={() => model.toggleOpen(project.id)}
          title={project.description ?? project.title}
        >
          <span className={`aext-Caret${open ? ' aext-mod-open' : ''}`} aria-hidden="true" />
          {project.title}
        </button>
        <SyncBadge badge={projectBadge(project, trans, percent)} />
      </div>
      <div className="aext-Project-meta">
        <span className="aext-Project-owner">
          {project.owner_type === 'organization'
            ? trans.__('Organization %1', project.owner_name ?? project.owner_id)
            : (project.owner_name ?? project.owner_id)}
        </span>
        {(project.tags ?? []).map(tag => (
          <span key={tag} className="aext-Tag">
            {tag}
          </span>
        ))}
        {local && (
          <span className="aext-Project-synced" title={lastSync ?? ''}>
            {trans.__('Last sync: %1', timeAgo(lastSync, trans, props.now))}
          </span>
        )}
      </div>
      <div className="aext-Project-actions">
        {!local && !gone && (
          <ActionButton
            label={trans.__('Download')}
            primary
            disabled={busy}
            onClick={() => void model.download(project.id)}
          />
        )}
        {local && (
          <>
            <ActionButton
              label={trans.__('Open folder')}
              onClick={() => void actions.openFolder(project)}
            />
            <ActionButton label={trans.__('Push')} disabled={busy || gone} onClick={() => start('push')} />
            <ActionButton label={trans.__('Pull')} disabled={busy || gone} onClick={() => start('pull')} />
            <ActionButton
              label={trans.__('Sync')}
              primary
              disabled={busy || gone}
              onClick={() => start('sync')}
            />
            <ActionButton
              label={trans.__('Preview plan')}
              disabled={gone}
              onClick={() => void actions.previewPlan(project, 'sync')}
            />
          </>
        )}
        {!gone && (
          <ActionButton label={trans.__('Share…')} onClick={() => void actions.share(project)} />
        )}
        {local && (
          <ActionButton
            label={history ? trans.__('Hide history') : trans.__('History')}
            onClick={() => details.toggleHistory(project.id)}
          />
        )}
        {local && (
          <ActionButton
            label={deleted ? trans.__('Hide deleted') : trans.__('Recently deleted')}
            onClick={() => details.toggleDeleted(project.id)}
          />
        )}
      </div>
      {local && !gone && (
        <AutoSyncControl
          autoSync={project.auto_sync}
          busy={details.autoSyncBusy(project.id)}
          error={details.autoSyncError(project.id)}
          now={props.now}
          trans={trans}
          onChange={(mode, minutes) => void details.setAutoSync(project.id, mode, minutes)}
        />
      )}
      {gone && (
        <div className="aext-Files-note aext-mod-warn">
          {trans.__(
            'This project was deleted in the cloud. Its local folder is kept as it is.'
          )}
        </div>
      )}
      {project.needs_attention && (
        <ul className="aext-Attention" aria-label={trans.__('Needs attention')}>
          {project.needs_attention.reasons.map(reason => (
            <li key={reason.code}>{reason.message}</li>
          ))}
        </ul>
      )}
      {run && running && (
        <RunProgress run={run} trans={trans} onCancel={() => model.cancel(project.id)} />
      )}
      {run && run.outcome && (
        <RunOutcome
          run={run}
          trans={trans}
          onDismiss={() => model.dismissOutcome(project.id)}
          onReviewGate={message =>
            void actions.reviewGate(
              project,
              run.kind && run.kind !== 'download' ? run.kind : 'sync',
              message
            )
          }
        />
      )}
      {notice && (
        <div
          className={`aext-Notice aext-mod-${notice.kind}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
        >
          <span>{notice.text}</span>
          <button
            type="button"
            className="aext-Notice-close"
            aria-label={trans.__('Close')}
            onClick={() => details.say(project.id, null)}
          >
            ×
          </button>
        </div>
      )}
      {open && local && (
        <ConflictList
          conflicts={details.conflicts(project.id)}
          resolving={details.resolving(project.id)}
          now={props.now}
          trans={trans}
          onCompare={conflict => actions.compareConflict(project, conflict)}
          onResolve={(conflict, keep) => void actions.resolveConflict(project, conflict, keep)}
        />
      )}
      {open && local && (
        <FileList
          files={model.files(project.id)}
          trans={trans}
          onOpen={path => void actions.openFile(project, path)}
          onVersions={path => void actions.showVersions(project, path)}
        />
      )}
      {deleted && (
        <DeletedFiles
          deleted={deleted}
          now={props.now}
          trans={trans}
          onRestore={file => void details.restoreDeleted(project.id, file)}
        />
      )}
      {history && (
        <HistoryView
          history={history}
          now={props.now}
          trans={trans}
          onOpen={path => void actions.openFile(project, path)}
        />
      )}
      {open && !local && (
        <div className="aext-Files-note">
          {trans.__('Download the project to see and sync its files.')}
        </div>
      )}
    </li>
  );
}

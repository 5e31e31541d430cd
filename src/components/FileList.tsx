/** A project's files grouped by status, each row opening the file in JupyterLab. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { fileIcon, folderIcon, notebookIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { FileEntry, FileStatus } from '../api/types';
import type { FilesState } from '../model';
import { formatBytes, STATUS_ORDER, statusLabel } from '../words';

export interface IFileListProps {
  files: FilesState | undefined;
  onOpen(path: string): void;
  onVersions(path: string): void;
  trans: TranslationBundle;
}

function iconFor(path: string) {
  if (path.endsWith('.ipynb')) {
    return notebookIcon;
  }
  return path.endsWith('/') ? folderIcon : fileIcon;
}

function FileRow(props: {
  entry: FileEntry;
  onOpen(path: string): void;
  onVersions(path: string): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { entry } = props;
  const Icon = iconFor(entry.path);
  const openable = entry.local_size !== null && entry.local_size !== undefined;
  return (
    <li
      className="aext-File"
      data-path={entry.path}
      data-status={entry.status ?? 'unknown'}
    >
      <button
        type="button"
        className="aext-File-open"
        disabled={!openable}
        onClick={() => props.onOpen(entry.path)}
        title={entry.path}
      >
        <Icon.react tag="span" className="aext-File-icon" />
        <span className="aext-File-path">{entry.path}</span>
      </button>
      <span className="aext-File-size">{formatBytes(entry.size)}</span>
      {entry.status === 'unsyncable' && entry.reason && (
        <span className="aext-File-reason">{entry.reason}</span>
      )}
      {(entry.remote_version || entry.base_version) && (
        <button
          type="button"
          className="aext-File-versions"
          title={props.trans.__('Versions of %1 in the cloud', entry.path)}
          onClick={() => props.onVersions(entry.path)}
        >
          {props.trans.__('Versions')}
        </button>
      )}
    </li>
  );
}

export function FileList(props: IFileListProps): JSX.Element {
  const { files, trans } = props;
  if (!files || files.state === 'loading') {
    return <div className="aext-Files-note">{trans.__('Loading files…')}</div>;
  }
  if (files.state === 'error') {
    return (
      <div className="aext-Files-note aext-mod-error" role="alert">
        {trans.__('The files could not be listed: %1', files.message)}
      </div>
    );
  }
  const { files: listed } = files;
  const groups = new Map<FileStatus | 'unknown', FileEntry[]>();
  for (const entry of listed.files) {
    const key = entry.status ?? 'unknown';
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const order: (FileStatus | 'unknown')[] = [...STATUS_ORDER, 'unknown'];
  return (
    <div className="aext-Files">
      {listed.cloud_status !== 'ok' && (
        <div className="aext-Files-note aext-mod-warn" role="status">
          {trans.__(
            'The cloud could not be asked (%1): the statuses are not known right now.',
            listed.cloud_status
          )}
        </div>
      )}
      {listed.files.length === 0 && (
        <div className="aext-Files-note">{trans.__('This project has no files yet.')}</div>
      )}
      {order
        .filter(status => groups.has(status))
        .map(status => (
          <section
            key={status}
            className="aext-FileGroup"
            data-group={status}
            aria-label={status === 'unknown' ? trans.__('Status unknown') : statusLabel(status, trans)}
          >
            <h4 className={`aext-FileGroup-title aext-mod-${status}`}>
              {status === 'unknown' ? trans.__('Status unknown') : statusLabel(status, trans)}
              <span className="aext-FileGroup-count">{groups.get(status)!.length}</span>
            </h4>
            <ul className="aext-FileGroup-files">
              {groups.get(status)!.map(entry => (
                <FileRow
                  key={entry.path}
                  entry={entry}
                  onOpen={props.onOpen}
                  onVersions={props.onVersions}
                  trans={trans}
                />
              ))}
            </ul>
          </section>
        ))}
    </div>
  );
}

/** A project's recently deleted files (its trash here, and what our syncs deleted in the cloud). */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { DeletedFile } from '../api/types';
import type { Loaded } from '../details';
import { formatBytes, timeAgo } from '../words';

export interface IDeletedFilesProps {
  deleted: Loaded<DeletedFile[]>;
  now: number;
  trans: TranslationBundle;
  onRestore(file: DeletedFile): void;
}

export function DeletedFiles(props: IDeletedFilesProps): JSX.Element {
  const { deleted, trans } = props;
  let body: JSX.Element;
  if (deleted.state === 'loading') {
    body = <div className="aext-Files-note">{trans.__('Loading…')}</div>;
  } else if (deleted.state === 'error') {
    body = (
      <div className="aext-Files-note aext-mod-error" role="alert">
        {trans.__('The deleted files could not be listed: %1', deleted.message)}
      </div>
    );
  } else if (deleted.value.length === 0) {
    body = <div className="aext-Files-note">{trans.__('Nothing was deleted recently.')}</div>;
  } else {
    body = (
      <ul className="aext-Deleted-list">
        {deleted.value.map(file => (
          <li
            key={`${file.source}:${file.trash_path ?? file.path}:${file.version ?? ''}`}
            className="aext-Deleted"
            data-path={file.path}
            data-source={file.source}
          >
            <span className="aext-Deleted-path" title={file.trash_path ?? file.path}>
              {file.path}
            </span>
            <span className="aext-Deleted-facts">
              {[
                file.source === 'trash' ? trans.__('in the project trash') : trans.__('deleted in the cloud'),
                file.deleted_at ? timeAgo(file.deleted_at, trans, props.now) : '',
                formatBytes(file.size)
              ]
                .filter(Boolean)
                .join(' · ')}
            </span>
            <button type="button" className="aext-Button" onClick={() => props.onRestore(file)}>
              {trans.__('Restore')}
            </button>
          </li>
        ))}
      </ul>
    );
  }
  return (
    <section className="aext-DeletedFiles" aria-label={trans.__('Recently deleted')}>
      <h4 className="aext-Section-title">{trans.__('Recently deleted')}</h4>
      {body}
    </section>
  );
}

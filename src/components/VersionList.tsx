/** A file's cloud versions, newest first, each with Open, Compare with the file here, Restore. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { CloudFileVersion } from '../api/types';
import type { Loaded } from '../details';
import { formatBytes, timeAgo } from '../words';

export interface IVersionListProps {
  path: string;
  versions: Loaded<CloudFileVersion[]>;
  /** The version the file here was last synced with, if any. */
  baseVersion: string | null;
  now: number;
  trans: TranslationBundle;
  onOpen(version: CloudFileVersion): void;
  onCompare(version: CloudFileVersion): void;
  onRestore(version: CloudFileVersion): void;
}

export function VersionList(props: IVersionListProps): JSX.Element {
  const { versions, trans } = props;
  if (versions.state === 'loading') {
    return <div className="aext-Files-note">{trans.__('Loading the versions…')}</div>;
  }
  if (versions.state === 'error') {
    return (
      <div className="aext-Files-note aext-mod-error" role="alert">
        {trans.__('The versions could not be listed: %1', versions.message)}
      </div>
    );
  }
  const live = versions.value.filter(v => !v.deleted);
  if (live.length === 0) {
    return <div className="aext-Files-note">{trans.__('The cloud has no version of this file.')}</div>;
  }
  return (
    <ul className="aext-Versions" aria-label={trans.__('Versions of %1', props.path)}>
      {live.map((version, index) => (
        <li
          key={version.file_version_id}
          className="aext-Version"
          data-version-id={version.file_version_id}
        >
          <div className="aext-Version-facts">
            <span className="aext-Version-when" title={version.last_modified ?? ''}>
              {version.last_modified ? timeAgo(version.last_modified, trans, props.now) : trans.__('time unknown')}
            </span>
            <span>{[version.author, formatBytes(version.size)].filter(Boolean).join(' · ')}</span>
            {index === 0 && <span className="aext-Tag">{trans.__('newest')}</span>}
            {version.file_version_id === props.baseVersion && (
              <span className="aext-Tag">{trans.__('last synced here')}</span>
            )}
          </div>
          <div className="aext-Version-actions">
            <button type="button" className="aext-Button" onClick={() => props.onOpen(version)}>
              {trans.__('Open')}
            </button>
            <button type="button" className="aext-Button" onClick={() => props.onCompare(version)}>
              {trans.__('Compare with the file here')}
            </button>
            <button type="button" className="aext-Button" onClick={() => props.onRestore(version)}>
              {trans.__('Restore…')}
            </button>
          </div>
        </li>
      ))}
    </ul>
  );
}

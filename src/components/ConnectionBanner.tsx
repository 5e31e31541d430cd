/** The connection line at the top of the panel: who we are, or what is wrong and what to do. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { IConnection } from '../model';

export interface IConnectionBannerProps {
  connection: IConnection;
  online: boolean;
  warning: string | null;
  trans: TranslationBundle;
}

function connectionText(connection: IConnection, trans: TranslationBundle): string {
  switch (connection.state) {
    case 'connecting':
      return trans.__('Connecting…');
    case 'connected':
      return connection.user
        ? trans.__('Connected to the cloud as %1', connection.user)
        : trans.__('Connected to the cloud');
    case 'not_logged_in':
      return trans.__(
        'Not logged in. %1 Run "anaconda login" in a terminal (with the [anaconda] extra installed), or set c.ProjectFileBrowserApp.cloud_api_key or ANACONDA_AUTH_API_KEY and restart Jupyter. Local projects keep working.',
        connection.detail ?? ''
      );
    case 'cloud_unreachable':
      return trans.__(
        'The cloud cannot be reached right now. Local projects keep working; push, pull and sync will work again once it answers.'
      );
    case 'store_error':
      return trans.__(
        "The extension's project store cannot be used%1. See the Jupyter server log.",
        connection.detail ? `: ${connection.detail}` : ''
      );
  }
}

export function ConnectionBanner(props: IConnectionBannerProps): JSX.Element {
  const { connection, online, trans } = props;
  const ok = connection.state === 'connected' || connection.state === 'connecting';
  return (
    <div
      className={`aext-Connection aext-mod-${connection.state}`}
      data-connection-state={connection.state}
      role={ok ? 'status' : 'alert'}
    >
      <div className="aext-Connection-text">{connectionText(connection, trans)}</div>
      {props.warning && (
        <div className="aext-Connection-warning" role="note">
          {props.warning}
        </div>
      )}
      {!online && connection.state !== 'connecting' && (
        <div className="aext-Connection-offline" role="alert">
          {trans.__('Offline: reconnecting to the Jupyter server…')}
        </div>
      )}
    </div>
  );
}

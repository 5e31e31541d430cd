/** The small status badge of a project row. */
import * as React from 'react';

import type { IBadge } from '../words';

export function SyncBadge(props: { badge: IBadge }): JSX.Element {
  return (
    <span className={`aext-Badge aext-mod-${props.badge.code}`} data-badge={props.badge.code}>
      {props.badge.text}
    </span>
  );
}

/** New project, Refresh and the filter box. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

export interface IToolbarProps {
  filter: string;
  loading: boolean;
  onFilter(value: string): void;
  onNewProject(): void;
  onRefresh(): void;
  trans: TranslationBundle;
}

export function Toolbar(props: IToolbarProps): JSX.Element {
  const { trans } = props;
  return (
    <div className="aext-Toolbar">
      <div className="aext-Toolbar-buttons">
        <button type="button" className="aext-Button" onClick={props.onNewProject}>
          <addIcon.react tag="span" className="aext-Button-icon" />
          {trans.__('New project')}
        </button>
        <button
          type="button"
          className="aext-Button"
          onClick={props.onRefresh}
          disabled={props.loading}
        >
          <refreshIcon.react tag="span" className="aext-Button-icon" />
          {trans.__('Refresh')}
        </button>
      </div>
      <input
        className="aext-Filter jp-mod-styled"
        type="search"
        value={props.filter}
        placeholder={trans.__('Filter by title or tag')}
        aria-label={trans.__('Filter projects by title or tag')}
        onChange={event => props.onFilter(event.target.value)}
      />
    </div>
  );
}

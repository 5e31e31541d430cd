/** The body of the "New project" dialog: title, description, tags. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { AutoSyncMode, CreateProjectBody } from '../api/types';
import { parseTags } from '../words';

export class NewProjectForm extends ReactWidget {
  /** `autoSync`: the mode the settings give new projects (sent only when not off). */
  constructor(
    readonly trans: TranslationBundle,
    readonly autoSync: { mode: AutoSyncMode; minutes: number } = { mode: 'off', minutes: 10 }
  ) {
    super();
    this.addClass('aext-NewProject');
  }

  /** What the dialog's Create button sends (the server validates it again). */
  getValue(): CreateProjectBody {
    const description = this._description.trim();
    const body: CreateProjectBody = {
      title: this._title.trim(),
      description: description || null,
      tags: parseTags(this._tags),
      owner: null
    };
    if (this.autoSync.mode !== 'off') {
      body.auto_sync = {
        mode: this.autoSync.mode,
        interval_minutes: this.autoSync.mode === 'interval' ? this.autoSync.minutes : null
      };
    }
    return body;
  }

  render(): JSX.Element {
    const { trans } = this;
    return (
      <div className="aext-Form">
        <label>
          {trans.__('Title')}
          <input
            className="jp-mod-styled"
            name="title"
            autoFocus
            defaultValue=""
            onChange={e => (this._title = e.target.value)}
          />
        </label>
        <label>
          {trans.__('Description')}
          <textarea
            className="jp-mod-styled"
            name="description"
            rows={3}
            onChange={e => (this._description = e.target.value)}
          />
        </label>
        <label>
          {trans.__('Tags (comma separated)')}
          <input
            className="jp-mod-styled"
            name="tags"
            onChange={e => (this._tags = e.target.value)}
          />
        </label>
      </div>
    );
  }

  private _title = '';
  private _description = '';
  private _tags = '';
}

/**
 * The status bar item: the state of the project the user is looking at (the current
 * document, else the file browser's folder): "Sales forecast: synced", "… 3 to push",
 * "… syncing 45 %", "… 1 conflict". A click opens the panel on that project.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

import type { Project } from './api/types';
import { ProjectsModel, runPercent } from './model';
import { projectBadge } from './words';

export class ProjectStatusItem extends ReactWidget {
  constructor(
    readonly model: ProjectsModel,
    readonly currentPath: () => string | null,
    readonly pathChanged: ISignal<unknown, unknown>[],
    readonly onOpen: (project: Project) => void,
    readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('aext-StatusItem');
    for (const signal of pathChanged) {
      signal.connect(() => this.update());
    }
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => {
          const path = this.currentPath();
          const project = path === null ? undefined : this.model.projectOfPath(path);
          if (!project) {
            return <span className="aext-StatusItem-empty" />;
          }
          const badge = projectBadge(project, this.trans, runPercent(this.model.run(project.id)));
          return (
            <button
              type="button"
              className="aext-StatusItem-button"
              data-status={badge.code}
              title={this.trans.__('Project "%1": %2. Click to open it in the Projects panel.', project.title, badge.text)}
              onClick={() => this.onOpen(project)}
            >
              {`${project.title}: ${badge.text}`}
            </button>
          );
        }}
      </UseSignal>
    );
  }
}

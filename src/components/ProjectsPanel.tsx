/** The whole panel: connection line, toolbar, and the project list. */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { ProjectDetails } from '../details';
import type { ProjectsModel } from '../model';
import type { IPanelActions } from './actions';
import { ConnectionBanner } from './ConnectionBanner';
import { ProjectRow } from './ProjectRow';
import { ToolboxAdoption } from './ToolboxAdoption';
import { Toolbar } from './Toolbar';

export interface IProjectsPanelProps {
  model: ProjectsModel;
  details: ProjectDetails;
  actions: IPanelActions;
  trans: TranslationBundle;
}

const CLOCK_MS = 30000;

/** Re-render now and then so "5 minutes ago" stays true. */
function useNow(): number {
  const [now, setNow] = React.useState(Date.now());
  React.useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function ProjectsPanel(props: IProjectsPanelProps): JSX.Element {
  const { model, actions, trans } = props;
  const now = useNow();
  const visible = model.visibleProjects;
  return (
    <div className="aext-ProjectsPanel-body" data-connection-state={model.connection.state}>
      <ConnectionBanner
        connection={model.connection}
        online={model.online}
        warning={model.cloudWarning}
        trans={trans}
      />
      <Toolbar
        filter={model.filter}
        loading={model.loading}
        onFilter={value => (model.filter = value)}
        onNewProject={() => void actions.newProject()}
        onRefresh={() => void model.refresh()}
        trans={trans}
      />
      {props.details.toolboxNotice && (
        <div
          className={`aext-Notice aext-mod-${props.details.toolboxNotice.kind}`}
          role={props.details.toolboxNotice.kind === 'error' ? 'alert' : 'status'}
        >
          <span>{props.details.toolboxNotice.text}</span>
          <button
            type="button"
            className="aext-Notice-close"
            aria-label={trans.__('Close')}
            onClick={() => props.details.dismissToolboxNotice()}
          >
            ×
          </button>
        </div>
      )}
      <ToolboxAdoption
        projects={props.details.toolbox}
        adopting={props.details.adopting}
        trans={trans}
        onAdopt={project =>
          void props.details.adopt(project).then(id => id && model.openDetail(id))
        }
      />
      {model.listError && (
        <div className="aext-ListError" role="alert">
          {trans.__('The project list could not be loaded: %1', model.listError)}
        </div>
      )}
      {model.loading && model.projects.length === 0 && (
        <div className="aext-Files-note">{trans.__('Loading projects…')}</div>
      )}
      {!model.loading && model.projects.length === 0 && !model.listError && (
        <div className="aext-Files-note">
          {trans.__('No projects yet. Create one with "New project".')}
        </div>
      )}
      {model.projects.length > 0 && visible.length === 0 && (
        <div className="aext-Files-note">{trans.__('No project matches the filter.')}</div>
      )}
      <ul className="aext-ProjectList" aria-label={trans.__('Projects')}>
        {visible.map(project => (
          <ProjectRow
            key={project.id}
            project={project}
            model={model}
            details={props.details}
            actions={actions}
            now={now}
            trans={trans}
          />
        ))}
      </ul>
    </div>
  );
}

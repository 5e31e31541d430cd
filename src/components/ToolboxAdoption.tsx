/**
 * Projects Anaconda Toolbox left in this Jupyter folder, offered for adoption: the folder
 * stays where it is, the old database is only read, and the first sync keeps both versions
 * of any file that differs.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { ToolboxProject } from '../api/types';

export interface IToolboxAdoptionProps {
  projects: ToolboxProject[];
  adopting: string | null;
  trans: TranslationBundle;
  onAdopt(project: ToolboxProject): void;
}

export function ToolboxAdoption(props: IToolboxAdoptionProps): JSX.Element | null {
  const { trans } = props;
  const waiting = props.projects.filter(p => !p.adopted);
  if (waiting.length === 0) {
    return null;
  }
  return (
    <section className="aext-Toolbox" aria-label={trans.__('From Anaconda Toolbox')}>
      <h4 className="aext-Section-title">
        {trans._n(
          '%1 project from Anaconda Toolbox',
          '%1 projects from Anaconda Toolbox',
          waiting.length
        )}
      </h4>
      <p className="aext-Toolbox-note">
        {trans.__(
          'Adopting keeps the folder where it is and only reads the old database; the first sync keeps both versions of any file that differs from the cloud.'
        )}
      </p>
      <ul className="aext-Toolbox-list">
        {waiting.map(project => (
          <li key={project.id} className="aext-ToolboxProject" data-toolbox-id={project.id}>
            <span className="aext-ToolboxProject-title">{project.title}</span>
            <span className="aext-ToolboxProject-facts" title={project.folder}>
              {project.problem ??
                trans._n('%1 file, in %2', '%1 files, in %2', project.stored_files, project.contents_path ?? project.folder)}
            </span>
            <button
              type="button"
              className="aext-Button"
              disabled={!project.adoptable || props.adopting === project.id}
              onClick={() => props.onAdopt(project)}
            >
              {trans.__('Adopt')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The Projects panel as a JupyterLab widget, and the JupyterLab side of its actions:
 * dialogs, the file browser and opening documents. The views stay free of these.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Direction, Project } from './api/types';
import type { IPanelActions } from './components/actions';
import { NewProjectForm } from './components/NewProjectForm';
import { PlanPreview } from './components/PlanPreview';
import { deletions, PlanView } from './components/PlanView';
import { ProjectsPanel } from './components/ProjectsPanel';
import { errorText, IGateTrip, ProjectsModel } from './model';
import { projectsIcon } from './icons';
import { PANEL_ID } from './tokens';

/** The panel's actions, bound to a JupyterLab application. */
export class PanelActions implements IPanelActions {
  constructor(
    readonly app: JupyterFrontEnd,
    readonly model: ProjectsModel,
    readonly trans: TranslationBundle,
    readonly fileBrowser: IDefaultFileBrowser | null
  ) {}

  async newProject(): Promise<void> {
    const { trans } = this;
    const result = await showDialog({
      title: trans.__('New project'),
      body: new NewProjectForm(trans),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Create') })],
      focusNodeSelector: 'input[name="title"]'
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    if (!result.value.title) {
      await showErrorMessage(trans.__('New project'), trans.__('A project needs a title.'));
      return;
    }
    try {
      const created = await this.model.createProject(result.value);
      this.model.openDetail(created.id);
      await this.openFolder(created);
    } catch (error) {
      await showErrorMessage(
        trans.__('The project could not be created'),
        errorText(error)
      );
    }
  }

  async openFolder(project: Project): Promise<void> {
    const { trans } = this;
    const path = project.contents_path;
    if (path === null || path === undefined) {
      await showErrorMessage(
        trans.__('Open folder'),
        project.local_path
          ? trans.__(
              "The folder %1 is outside Jupyter's root folder, so the file browser cannot show it.",
              project.local_path
            )
          : trans.__('Download the project first.')
      );
      return;
    }
    if (this.fileBrowser) {
      await this.fileBrowser.model.cd('/' + path);
      this.app.shell.activateById(this.fileBrowser.id);
    } else {
      await this.app.commands.execute('filebrowser:go-to-path', { path: '/' + path });
    }
  }

  async openFile(project: Project, path: string): Promise<void> {
    const folder = project.contents_path;
    if (folder === null || folder === undefined) {
      return this.openFolder(project);
    }
    const full = folder ? `${folder}/${path}` : path;
    await this.app.commands.execute('docmanager:open', { path: full });
  }

  async previewPlan(project: Project, direction: Direction): Promise<void> {
    const { trans } = this;
    const result = await showDialog({
      title: trans.__('Preview: "%1"', project.title),
      body: new PlanPreview(d => this.model.plan(project.id, d), trans, direction),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Close') }),
        Dialog.okButton({ label: trans.__('Run it now') })
      ]
    });
    if (result.button.accept && result.value) {
      this.model.startRun(project.id, result.value);
    }
  }

  /** A safety gate stopped a run: say what would be deleted, and sync anyway if asked. */
  async reviewGate(project: Project, direction: Direction, message: string): Promise<void> {
    const { trans } = this;
    let body: JSX.Element;
    try {
      const plan = await this.model.plan(project.id, direction, true);
      const removed = deletions(plan);
      body = (
        <div className="aext-Gate">
          <p>{message}</p>
          <p>
            {trans._n(
              'Going ahead would delete %1 file:',
              'Going ahead would delete %1 files:',
              removed.length
            )}
          </p>
          <PlanView plan={{ ...plan, gate: null }} trans={trans} />
        </div>
      );
    } catch (error) {
      body = (
        <div className="aext-Gate">
          <p>{message}</p>
          <p>{trans.__('What would change could not be listed: %1', errorText(error))}</p>
        </div>
      );
    }
    const result = await showDialog({
      title: trans.__('Safety check: "%1"', project.title),
      body: ReactWidget.create(body),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Keep everything') }),
        Dialog.warnButton({ label: trans.__('Sync anyway') })
      ]
    });
    if (result.button.accept) {
      this.model.startRun(project.id, direction, true);
    }
  }

  /** The model says a run of this tab hit a gate: open the review at once. */
  onGateTripped(trip: IGateTrip): void {
    const project = this.model.project(trip.projectId);
    if (project) {
      void this.reviewGate(project, trip.direction, trip.message);
    }
  }
}

export class ProjectsPanelWidget extends ReactWidget {
  constructor(
    readonly model: ProjectsModel,
    readonly actions: IPanelActions,
    readonly trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('aext-ProjectsPanel');
    this.title.icon = projectsIcon;
    this.title.caption = trans.__('Projects: your cloud projects and their sync');
    this.title.label = trans.__('Projects');
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <ProjectsPanel model={this.model} actions={this.actions} trans={this.trans} />}
      </UseSignal>
    );
  }
}

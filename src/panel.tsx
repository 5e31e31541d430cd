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

import type { ConflictDetail, Direction, Keep, Project } from './api/types';
import type { IPanelActions } from './components/actions';
import { NewProjectForm } from './components/NewProjectForm';
import { ShareForm } from './components/ShareForm';
import type { ProjectDetails } from './details';
import type { FileActions } from './files';
import { PlanPreview } from './components/PlanPreview';
import { deletions, PlanView } from './components/PlanView';
import { ProjectsPanel } from './components/ProjectsPanel';
import { errorText, IGateTrip, ProjectsModel } from './model';
import { projectsIcon } from './icons';
import { PANEL_ID } from './tokens';

/** The user's choices from the settings editor that the actions follow. */
export interface IUiSettings {
  fileBrowserDecorations: boolean;
  confirmResolve: boolean;
  defaultAutoSync: 'off' | 'on_save' | 'interval';
  defaultAutoSyncMinutes: number;
}

export const DEFAULT_SETTINGS: IUiSettings = {
  fileBrowserDecorations: true,
  confirmResolve: true,
  defaultAutoSync: 'off',
  defaultAutoSyncMinutes: 10
};

/** The panel's actions, bound to a JupyterLab application. */
export class PanelActions implements IPanelActions {
  constructor(
    readonly app: JupyterFrontEnd,
    readonly model: ProjectsModel,
    readonly details: ProjectDetails,
    readonly files: FileActions,
    readonly settings: IUiSettings,
    readonly trans: TranslationBundle,
    readonly fileBrowser: IDefaultFileBrowser | null
  ) {}

  compareConflict(project: Project, conflict: ConflictDetail): void {
    this.files.compareConflict(project, conflict);
  }

  async resolveConflict(project: Project, conflict: ConflictDetail, keep: Keep): Promise<void> {
    const { trans } = this;
    if (keep !== 'both' && this.settings.confirmResolve) {
      const answer = await showDialog({
        title: trans.__('Resolve %1', conflict.path),
        body:
          keep === 'local'
            ? trans.__(
                'Your edit (%1) replaces the cloud\'s version at %2. The cloud\'s version goes to the project trash and stays among the cloud\'s versions.',
                conflict.copy_path,
                conflict.path
              )
            : trans.__(
                'The cloud\'s version stays at %1. Your edit (%2) goes to the project trash and stays among the cloud\'s versions.',
                conflict.path,
                conflict.copy_path
              ),
        buttons: [
          Dialog.cancelButton(),
          Dialog.okButton({ label: keep === 'local' ? trans.__('Keep mine') : trans.__('Keep cloud') })
        ]
      });
      if (!answer.button.accept) {
        return;
      }
    }
    await this.details.resolve(project.id, conflict, keep);
  }

  async showVersions(project: Project, path: string): Promise<void> {
    await this.files.showVersions({ project, path });
  }

  async share(project: Project): Promise<void> {
    const { trans } = this;
    const api = this.model.api;
    await showDialog({
      title: trans.__('Share "%1"', project.title),
      body: ReactWidget.create(
        <ShareForm
          load={() => api.permissions(project.id)}
          change={body => api.setPermissions(project.id, body)}
          trans={trans}
        />
      ),
      buttons: [Dialog.okButton({ label: trans.__('Done') })]
    });
  }

  /** Open the panel with this project's detail shown. */
  showProject(projectId: string): void {
    this.app.shell.activateById(PANEL_ID);
    if (!this.model.isOpen(projectId)) {
      this.model.openDetail(projectId);
    }
    requestAnimationFrame(() =>
      document
        .querySelector(`#${PANEL_ID} [data-project-id="${CSS.escape(projectId)}"]`)
        ?.scrollIntoView({ block: 'nearest' })
    );
  }

  async newProject(): Promise<void> {
    const { trans } = this;
    const result = await showDialog({
      title: trans.__('New project'),
      body: new NewProjectForm(trans, {
        mode: this.settings.defaultAutoSync,
        minutes: this.settings.defaultAutoSyncMinutes
      }),
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
    readonly details: ProjectDetails,
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
        {() => (
          <UseSignal signal={this.details.changed}>
            {() => (
              <ProjectsPanel
                model={this.model}
                details={this.details}
                actions={this.actions}
                trans={this.trans}
              />
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}

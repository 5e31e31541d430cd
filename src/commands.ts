/**
 * The command-palette commands. "Current project" is the project of the document in the
 * main area, else of the folder the file browser shows.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Direction, Project } from './api/types';
import type { FileActions } from './files';
import type { PanelActions } from './panel';
import { ProjectsModel } from './model';
import { notifyRun } from './notifications';
import { CommandIDs, PANEL_ID } from './tokens';

export interface ICommandDeps {
  app: JupyterFrontEnd;
  model: ProjectsModel;
  actions: PanelActions;
  files: FileActions;
  trans: TranslationBundle;
  palette: ICommandPalette | null;
  docManager: IDocumentManager | null;
  fileBrowser: IDefaultFileBrowser | null;
}

/** The contents path of what the user is looking at: the current document, else the browser's folder. */
export function currentPath(deps: ICommandDeps): string | null {
  const widget = deps.app.shell.currentWidget;
  if (widget && deps.docManager) {
    const context = deps.docManager.contextForWidget(widget);
    if (context) {
      return context.path;
    }
  }
  return deps.fileBrowser ? deps.fileBrowser.model.path : null;
}

export function registerCommands(deps: ICommandDeps): void {
  const { app, model, actions, trans } = deps;
  const category = trans.__('Projects');

  const currentProject = (): Project | undefined => {
    const path = currentPath(deps);
    return path === null ? undefined : model.projectOfPath(path);
  };
  const needProject = async (): Promise<Project | null> => {
    const project = currentProject();
    if (!project) {
      await showErrorMessage(
        trans.__('No project here'),
        trans.__('Open a file or folder inside a project folder first.')
      );
      return null;
    }
    return project;
  };
  const runCommand = (id: string, label: string, direction: Direction) =>
    app.commands.addCommand(id, {
      label,
      caption: label,
      execute: async () => {
        const project = await needProject();
        if (project) {
          model.startRun(project.id, direction);
          notifyRun(model, project.id, trans, id => actions.showProject(id));
        }
      }
    });

  app.commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Projects: Show the Projects panel'),
    execute: () => app.shell.activateById(PANEL_ID)
  });
  app.commands.addCommand(CommandIDs.newProject, {
    label: trans.__('Projects: New project'),
    execute: () => actions.newProject()
  });
  app.commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Projects: Refresh the project list'),
    execute: () => model.refresh()
  });
  runCommand(CommandIDs.syncCurrent, trans.__('Projects: Sync current project'), 'sync');
  runCommand(CommandIDs.pushCurrent, trans.__('Projects: Push current project'), 'push');
  runCommand(CommandIDs.pullCurrent, trans.__('Projects: Pull current project'), 'pull');
  app.commands.addCommand(CommandIDs.previewCurrent, {
    label: trans.__('Projects: Preview the sync of the current project'),
    execute: async () => {
      const project = await needProject();
      if (project) {
        await actions.previewPlan(project, 'sync');
      }
    }
  });
  app.commands.addCommand(CommandIDs.openFolder, {
    label: trans.__('Projects: Open the current project folder'),
    execute: async () => {
      const project = await needProject();
      if (project) {
        await actions.openFolder(project);
      }
    }
  });

  // The file browser's context menu: the versions of the selected file of a project.
  const selectedFile = () => {
    const item = deps.fileBrowser?.selectedItems().next();
    const value = item && !item.done ? item.value : null;
    return value && value.type !== 'directory' ? deps.files.projectFile(value.path) : null;
  };
  app.commands.addCommand(CommandIDs.showVersions, {
    label: trans.__('Show versions…'),
    caption: trans.__("The file's versions in the cloud: open, compare or restore one"),
    isVisible: () => selectedFile() !== null,
    execute: async () => {
      const file = selectedFile();
      if (file) {
        await deps.files.showVersions(file);
      }
    }
  });
  app.contextMenu.addItem({
    command: CommandIDs.showVersions,
    selector: '.jp-DirListing-item[data-isdir="false"]',
    rank: 12
  });

  if (deps.palette) {
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.newProject,
      CommandIDs.refresh,
      CommandIDs.syncCurrent,
      CommandIDs.pushCurrent,
      CommandIDs.pullCurrent,
      CommandIDs.previewCurrent,
      CommandIDs.openFolder
    ]) {
      deps.palette.addItem({ command, category });
    }
  }
}

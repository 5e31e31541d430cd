/**
 * The JupyterLab plugin of aext-project-filebrowser-server: the Projects panel in the left
 * sidebar, its commands, the sync status in the file browser and the status bar, and the
 * per-file versions in the file browser's context menu.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ProjectsClient } from './api/client';
import { ProjectsSocket } from './api/socket';
import { currentPath, registerCommands } from './commands';
import { BrowserDecorations } from './decorations';
import { ProjectDetails } from './details';
import { FileActions } from './files';
import { ProjectsModel } from './model';
import { DEFAULT_SETTINGS, IUiSettings, PanelActions, ProjectsPanelWidget } from './panel';
import { ProjectStatusItem } from './statusbar';
import { PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Projects panel: see, create, download and sync cloud projects.',
  autoStart: true,
  optional: [
    ITranslator,
    ICommandPalette,
    ILayoutRestorer,
    IDocumentManager,
    IDefaultFileBrowser,
    IRenderMimeRegistry,
    IStatusBar,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    docManager: IDocumentManager | null,
    fileBrowser: IDefaultFileBrowser | null,
    rendermime: IRenderMimeRegistry | null,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('aext_project_filebrowser_server');
    const api = new ProjectsClient();
    const model = new ProjectsModel(api, new ProjectsSocket());
    const details = new ProjectDetails(model, api);
    const files = new FileActions(app, model, api, rendermime, trans);
    const settings: IUiSettings = { ...DEFAULT_SETTINGS };
    const actions = new PanelActions(app, model, details, files, settings, trans, fileBrowser);
    model.gateTripped.connect((_, trip) => actions.onGateTripped(trip));
    const panel = new ProjectsPanelWidget(model, details, actions, trans);
    app.shell.add(panel, 'left', { rank: 150 });
    restorer?.add(panel, panel.id);
    const deps = { app, model, actions, files, trans, palette, docManager, fileBrowser };
    registerCommands(deps);

    const decorations = fileBrowser ? new BrowserDecorations(fileBrowser, model, trans) : null;
    if (statusBar) {
      const item = new ProjectStatusItem(
        model,
        () => currentPath(deps),
        [app.shell.currentChanged, ...(fileBrowser ? [fileBrowser.model.pathChanged] : [])].filter(
          Boolean
        ) as any,
        project => actions.showProject(project.id),
        trans
      );
      statusBar.registerStatusItem(`${PLUGIN_ID}:status`, { item, align: 'left', rank: 4 });
    }
    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          const apply = () => {
            Object.assign(settings, DEFAULT_SETTINGS, loaded.composite as Partial<IUiSettings>);
            if (decorations) {
              decorations.enabled = settings.fileBrowserDecorations;
            }
          };
          apply();
          loaded.changed.connect(apply);
        })
        .catch(reason => console.warn('Projects: the settings could not be loaded', reason));
    }
    void app.restored.then(() => Promise.all([model.refresh(), details.loadToolbox()]));
  }
};

export default plugin;

/**
 * The JupyterLab plugin of aext-project-filebrowser-server: the Projects panel in the left
 * sidebar and its commands.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ProjectsClient } from './api/client';
import { ProjectsSocket } from './api/socket';
import { registerCommands } from './commands';
import { ProjectsModel } from './model';
import { PanelActions, ProjectsPanelWidget } from './panel';
import { PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Projects panel: see, create, download and sync cloud projects.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IDocumentManager, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    docManager: IDocumentManager | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const trans = (translator ?? nullTranslator).load('aext_project_filebrowser_server');
    const model = new ProjectsModel(new ProjectsClient(), new ProjectsSocket());
    const actions = new PanelActions(app, model, trans, fileBrowser);
    model.gateTripped.connect((_, trip) => actions.onGateTripped(trip));
    const panel = new ProjectsPanelWidget(model, actions, trans);
    app.shell.add(panel, 'left', { rank: 150 });
    restorer?.add(panel, panel.id);
    registerCommands({ app, model, actions, trans, palette, docManager, fileBrowser });
    void app.restored.then(() => model.refresh());
  }
};

export default plugin;

/**
 * The JupyterLab side of per-file actions: versions (show, open read-only, compare, restore)
 * and comparing the two versions of a conflict. Paths here are contents paths (relative to
 * Jupyter's root); the API wants the path inside the project.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IProjectsApi } from './api/client';
import type { CloudFileVersion, ConflictDetail, Project } from './api/types';
import { ICompareSide, openCompare, openReadOnly } from './compare';
import { VersionList } from './components/VersionList';
import type { Loaded } from './details';
import { errorText, ProjectsModel } from './model';
import { timeAgo } from './words';

/** A file inside a project: the project and the path within it. */
export interface IProjectFile {
  project: Project;
  path: string;
}

function VersionsBody(props: {
  load(): Promise<CloudFileVersion[]>;
  path: string;
  baseVersion: string | null;
  trans: TranslationBundle;
  onOpen(v: CloudFileVersion): void;
  onCompare(v: CloudFileVersion): void;
  onRestore(v: CloudFileVersion): void;
}): JSX.Element {
  const [versions, setVersions] = React.useState<Loaded<CloudFileVersion[]>>({ state: 'loading' });
  React.useEffect(() => {
    props
      .load()
      .then(value => setVersions({ state: 'loaded', value }))
      .catch(error => setVersions({ state: 'error', message: errorText(error) }));
  }, []);
  return (
    <VersionList
      path={props.path}
      versions={versions}
      baseVersion={props.baseVersion}
      now={Date.now()}
      trans={props.trans}
      onOpen={props.onOpen}
      onCompare={props.onCompare}
      onRestore={props.onRestore}
    />
  );
}

export class FileActions {
  constructor(
    readonly app: JupyterFrontEnd,
    readonly model: ProjectsModel,
    readonly api: IProjectsApi,
    readonly rendermime: IRenderMimeRegistry | null,
    readonly trans: TranslationBundle
  ) {}

  /** The project file at a contents path, or null when the path is in no project folder. */
  projectFile(contentsPath: string): IProjectFile | null {
    const clean = contentsPath.replace(/^\/+/, '');
    const project = this.model.projectOfPath(clean);
    if (!project || project.contents_path === null || project.contents_path === undefined) {
      return null;
    }
    const folder = project.contents_path;
    const path = folder ? clean.slice(folder.length + 1) : clean;
    return path && !path.startsWith('.aext-project') ? { project, path } : null;
  }

  contentsPath(file: IProjectFile): string {
    const folder = file.project.contents_path ?? '';
    return folder ? `${folder}/${file.path}` : file.path;
  }

  /** The file's current text on disk, read through Jupyter's contents API. */
  async readLocal(file: IProjectFile): Promise<string> {
    const model = await this.app.serviceManager.contents.get(this.contentsPath(file), {
      type: 'file',
      format: 'text',
      content: true
    });
    return String(model.content ?? '');
  }

  cloudSide(file: IProjectFile, version: CloudFileVersion | string, label: string): ICompareSide {
    const id = typeof version === 'string' ? version : version.file_version_id;
    return { label, load: () => this.api.versionContent(file.project.id, file.path, id) };
  }

  versionLabel(version: CloudFileVersion): string {
    const { trans } = this;
    const when = version.last_modified ? timeAgo(version.last_modified, trans) : trans.__('time unknown');
    return version.author
      ? trans.__('Cloud version of %1, by %2', when, version.author)
      : trans.__('Cloud version of %1', when);
  }

  async showVersions(file: IProjectFile): Promise<void> {
    const { trans } = this;
    const entry = this.model.files(file.project.id);
    const baseVersion =
      entry?.state === 'loaded'
        ? (entry.files.files.find(f => f.path === file.path)?.base_version ?? null)
        : null;
    const name = file.path.split('/').pop() ?? file.path;
    // eslint-disable-next-line prefer-const
    let dialog: Dialog<unknown>;
    const close = () => dialog.reject();
    const body = ReactWidget.create(
      <VersionsBody
        load={async () => (await this.api.fileVersions(file.project.id, file.path)).versions}
        path={file.path}
        baseVersion={baseVersion}
        trans={trans}
        onOpen={v => {
          close();
          openReadOnly(
            this.app.shell,
            { title: `${name} (${trans.__('version')})`, path: file.path, load: this.cloudSide(file, v, '').load },
            this.rendermime,
            trans
          );
        }}
        onCompare={v => {
          close();
          this.compare(file, this.cloudSide(file, v, this.versionLabel(v)), {
            label: trans.__('The file here'),
            load: () => this.readLocal(file)
          });
        }}
        onRestore={v => {
          close();
          void this.restore(file, v);
        }}
      />
    );
    body.addClass('aext-VersionsDialog');
    dialog = new Dialog({
      title: trans.__('Versions of %1', file.path),
      body,
      buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
    });
    await dialog.launch();
  }

  compare(file: IProjectFile, left: ICompareSide, right: ICompareSide): void {
    const name = file.path.split('/').pop() ?? file.path;
    openCompare(
      this.app.shell,
      { title: this.trans.__('Compare %1', name), path: file.path, left, right },
      this.api,
      this.rendermime,
      this.trans
    );
  }

  /** Both versions of a conflict: the cloud's at the original path, yours in the copy. */
  compareConflict(project: Project, conflict: ConflictDetail): void {
    const { trans } = this;
    const side = (path: string, version: string | null, label: string): ICompareSide => {
      const file = { project, path };
      return conflictSideOnDisk(conflict, path) || !version
        ? { label, load: () => this.readLocal(file) }
        : this.cloudSide(file, version, label);
    };
    const who = (author: string | null | undefined) => author ?? trans.__('someone');
    this.compare(
      { project, path: conflict.path },
      side(conflict.remote.path, conflict.remote.version_id, trans.__('Cloud: %1', who(conflict.remote.author))),
      side(conflict.local.path, conflict.local.version_id, trans.__('Yours: %1', who(conflict.local.author)))
    );
  }

  async restore(file: IProjectFile, version: CloudFileVersion): Promise<void> {
    const { trans } = this;
    const when = version.last_modified ? new Date(version.last_modified).toLocaleString() : '';
    const answer = await showDialog({
      title: trans.__('Restore %1?', file.path),
      body: trans.__(
        'The file here becomes the cloud version of %1. If it holds changes the cloud does not have, they are kept first as a conflict copy next to it. The next push makes the restored version the newest in the cloud.',
        when
      ),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Restore') })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      const result = await this.api.restoreVersion(file.project.id, file.path, version.file_version_id);
      Notification.success(
        result.conflict_copy
          ? trans.__('Restored %1. Your unsynced changes are kept in %2.', file.path, result.conflict_copy)
          : trans.__('Restored %1.', file.path),
        { autoClose: 8000 }
      );
      await this.model.loadFiles(file.project.id);
    } catch (error) {
      Notification.error(trans.__('%1 could not be restored: %2', file.path, errorText(error)), {
        autoClose: false
      });
    }
  }
}

function conflictSideOnDisk(conflict: ConflictDetail, path: string): boolean {
  const side = conflict.local.path === path ? conflict.local : conflict.remote;
  return side.exists_locally;
}

/**
 * Sync status inside JupyterLab's own file browser: each listed file of a project folder
 * gets `data-aext-sync-status="<status code>"` and a small letter in colour with a tooltip
 * in words; a folder inside a project shows what is inside it; the project folder itself
 * shows its project badge.
 *
 * The file browser offers no API to decorate items, so the listing is observed: after each
 * render (a MutationObserver on the listing) and each change of the statuses, the visible
 * items are matched by name against the project's file statuses. Only attributes and one
 * span per item are touched, never the listing's own nodes' content.
 */
import type { FileBrowser } from '@jupyterlab/filebrowser';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { FileEntry } from './api/types';
import { ProjectsModel } from './model';
import { folderStatus, projectBadge, statusLabel, statusLetter } from './words';

export const STATUS_ATTRIBUTE = 'data-aext-sync-status';
const INDICATOR_CLASS = 'aext-BrowserStatus';

interface IDecoration {
  status: string;
  letter: string;
  words: string;
}

export class BrowserDecorations {
  constructor(
    readonly browser: FileBrowser,
    readonly model: ProjectsModel,
    readonly trans: TranslationBundle
  ) {
    this._observer = new MutationObserver(() => this.schedule());
    this._observer.observe(browser.node, { childList: true, subtree: true });
    browser.model.pathChanged.connect(this._onPath, this);
    model.changed.connect(this.schedule, this);
    this._onPath();
  }

  get enabled(): boolean {
    return this._enabled;
  }

  set enabled(value: boolean) {
    this._enabled = value;
    this.schedule();
  }

  schedule(): void {
    if (this._frame === undefined) {
      this._frame = requestAnimationFrame(() => {
        this._frame = undefined;
        this.decorate();
      });
    }
  }

  /** Match every listed item with its status. */
  decorate(): void {
    const folder = this.browser.model.path.replace(/^[^:]*:/, '').replace(/^\/+|\/+$/g, '');
    const items = this.browser.node.querySelectorAll<HTMLElement>('.jp-DirListing-item');
    items.forEach(item => {
      const name = item.querySelector('.jp-DirListing-itemText')?.textContent ?? '';
      const path = folder ? `${folder}/${name}` : name;
      const isDir = item.getAttribute('data-isdir') === 'true';
      this._apply(item, this._enabled && name ? this._decorationOf(path, isDir) : null);
    });
  }

  dispose(): void {
    this._observer.disconnect();
    if (this._frame !== undefined) {
      cancelAnimationFrame(this._frame);
    }
    this.browser.model.pathChanged.disconnect(this._onPath, this);
    this.model.changed.disconnect(this.schedule, this);
    this.browser.node.querySelectorAll(`.${INDICATOR_CLASS}`).forEach(n => n.remove());
    this.browser.node
      .querySelectorAll(`[${STATUS_ATTRIBUTE}]`)
      .forEach(n => n.removeAttribute(STATUS_ATTRIBUTE));
  }

  /** Browsing into a project folder: make sure its statuses are loaded. */
  private _onPath(): void {
    const project = this.model.projectOfPath(this.browser.model.path.replace(/^[^:]*:/, ''));
    if (project && project.local_path && !this.model.files(project.id)) {
      void this.model.loadFiles(project.id);
    }
    this.schedule();
  }

  private _decorationOf(path: string, isDir: boolean): IDecoration | null {
    const { model, trans } = this;
    const project = model.projectOfPath(path);
    if (!project || !project.local_path) {
      return null;
    }
    if (isDir && project.contents_path === path) {
      const badge = projectBadge(project, trans);
      return { status: badge.code, letter: statusLetter(badge.code), words: badge.text };
    }
    const files = model.files(project.id);
    if (files?.state !== 'loaded') {
      return null;
    }
    const inside = project.contents_path ? path.slice(project.contents_path.length + 1) : path;
    // A conflict resolved by keeping both versions leaves two synced files: both still
    // show "conflict" until the user resolves it.
    const conflicted = new Set<string>();
    for (const c of files.files.conflicts ?? []) {
      conflicted.add(c.path);
      conflicted.add(c.copy_path);
    }
    const statusOf = (f: FileEntry) => (conflicted.has(f.path) ? 'conflict' : (f.status ?? 'unknown'));
    if (isDir) {
      const prefix = inside + '/';
      const status = folderStatus(
        files.files.files.filter(f => f.path.startsWith(prefix)).map(statusOf)
      );
      return status
        ? { status, letter: statusLetter(status), words: folderWords(status, trans) }
        : null;
    }
    const entry: FileEntry | undefined = files.files.files.find(f => f.path === inside);
    if (!entry || !entry.status) {
      return null;
    }
    if (conflicted.has(inside)) {
      return {
        status: 'conflict',
        letter: statusLetter('conflict'),
        words: trans.__('In conflict: the two versions are kept side by side until you resolve it in the Projects panel')
      };
    }
    const words = statusLabel(entry.status, trans);
    return {
      status: entry.status,
      letter: statusLetter(entry.status),
      words: entry.reason ? `${words}: ${entry.reason}` : words
    };
  }

  private _apply(item: HTMLElement, decoration: IDecoration | null): void {
    let indicator = item.querySelector<HTMLElement>(`.${INDICATOR_CLASS}`);
    if (!decoration) {
      if (item.hasAttribute(STATUS_ATTRIBUTE)) {
        item.removeAttribute(STATUS_ATTRIBUTE);
      }
      indicator?.remove();
      return;
    }
    if (item.getAttribute(STATUS_ATTRIBUTE) !== decoration.status) {
      item.setAttribute(STATUS_ATTRIBUTE, decoration.status);
    }
    if (!indicator) {
      indicator = document.createElement('span');
      indicator.className = INDICATOR_CLASS;
      const text = item.querySelector('.jp-DirListing-itemText');
      text?.after(indicator);
    }
    if (indicator.textContent !== decoration.letter) {
      indicator.textContent = decoration.letter;
    }
    if (indicator.title !== decoration.words) {
      indicator.title = decoration.words;
      indicator.setAttribute('aria-label', decoration.words);
    }
  }

  private _enabled = true;
  private _frame: number | undefined;
  private _observer: MutationObserver;
}

function folderWords(status: 'conflict' | 'changes' | 'synced', trans: TranslationBundle): string {
  switch (status) {
    case 'conflict':
      return trans.__('A file inside changed on both sides');
    case 'changes':
      return trans.__('Files inside have changes to sync');
    case 'synced':
      return trans.__('Everything inside is synced');
  }
}

/**
 * "Compare": two versions of a file side by side in the main area. Notebooks use nbdime's
 * own diff widget (the nbdime JupyterLab extension provides the package; the diff is
 * computed by our server with the nbdime the notebook merge uses); other text gets a line
 * diff; anything else, or a side that is not text, is described instead of diffed.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import { NotebookDiffWidget } from 'nbdime/lib/diff/widget';
import * as React from 'react';

import type { IProjectsApi } from './api/client';
import { DiffRow, lineDiff } from './diff';
import { errorText } from './model';

/** One side of a comparison: what to call it and how to get its text. */
export interface ICompareSide {
  label: string;
  load(): Promise<string>;
}

export interface ICompareRequest {
  title: string;
  path: string;
  left: ICompareSide;
  right: ICompareSide;
}

const BINARY = /[\u0000-\u0008\u000e-\u001f]/;

function Header(props: { left: string; right: string }): JSX.Element {
  return (
    <div className="aext-Compare-header">
      <span className="aext-Compare-side aext-mod-left">{props.left}</span>
      <span className="aext-Compare-side aext-mod-right">{props.right}</span>
    </div>
  );
}

function Row(props: { row: DiffRow }): JSX.Element {
  const { row } = props;
  const left = row.kind === 'added' ? null : row;
  const right = row.kind === 'removed' ? null : row;
  return (
    <tr className={`aext-Diff-row aext-mod-${row.kind}`} data-diff={row.kind}>
      <td className="aext-Diff-line">{left ? left.leftLine : ''}</td>
      <td className="aext-Diff-text aext-mod-left">{left ? left.left : ''}</td>
      <td className="aext-Diff-line">{right ? right.rightLine : ''}</td>
      <td className="aext-Diff-text aext-mod-right">{right ? right.right : ''}</td>
    </tr>
  );
}

export function TextDiffView(props: {
  left: string;
  right: string;
  labels: [string, string];
  trans: TranslationBundle;
  /** False when a header is already shown above. */
  header?: boolean;
}): JSX.Element {
  const { trans } = props;
  const diff = React.useMemo(() => lineDiff(props.left, props.right), [props.left, props.right]);
  return (
    <div className="aext-Compare aext-TextDiff">
      {props.header !== false && <Header left={props.labels[0]} right={props.labels[1]} />}
      <p className="aext-Compare-summary" role="status">
        {diff.removed === 0 && diff.added === 0
          ? trans.__('The two versions are the same.')
          : diff.diffed
            ? `${trans._n('%1 line only on the left', '%1 lines only on the left', diff.removed)}, ${trans._n('%1 only on the right', '%1 only on the right', diff.added)}.`
            : trans.__('These files are too long to compare line by line; both are shown whole.')}
      </p>
      <table className="aext-Diff">
        <tbody>
          {diff.rows.map((row, i) => (
            <Row key={i} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function message(text: string, error = false): Widget {
  const node = document.createElement('div');
  node.className = `aext-Compare-message${error ? ' aext-mod-error' : ''}`;
  node.setAttribute('role', error ? 'alert' : 'status');
  node.textContent = text;
  return new Widget({ node });
}

async function notebookView(
  api: IProjectsApi,
  rendermime: IRenderMimeRegistry,
  left: string,
  right: string
): Promise<Widget> {
  const data = await api.notebookDiff(JSON.parse(left), JSON.parse(right));
  const model = new NotebookDiffModel(data.base as any, data.diff as IDiffEntry[]);
  const widget = new NotebookDiffWidget({ model, rendermime });
  await widget.init();
  return widget;
}

/** Fill `panel` with the comparison, or with why there is none. */
async function fill(
  panel: Panel,
  request: ICompareRequest,
  api: IProjectsApi,
  rendermime: IRenderMimeRegistry | null,
  trans: TranslationBundle
): Promise<void> {
  let left: string;
  let right: string;
  try {
    [left, right] = await Promise.all([request.left.load(), request.right.load()]);
  } catch (error) {
    panel.widgets[0]?.dispose(); // the "loading" line
    panel.addWidget(message(trans.__('A version could not be read: %1', errorText(error)), true));
    return;
  }
  panel.widgets[0]?.dispose();
  const labels: [string, string] = [request.left.label, request.right.label];
  if (BINARY.test(left) || BINARY.test(right)) {
    panel.addWidget(ReactWidget.create(<Header left={labels[0]} right={labels[1]} />));
    panel.addWidget(
      message(
        trans.__(
          'This file is not text, so it cannot be shown side by side: %1 bytes on the left, %2 on the right.',
          left.length,
          right.length
        )
      )
    );
    return;
  }
  let header = true;
  if (request.path.endsWith('.ipynb') && rendermime) {
    panel.addWidget(ReactWidget.create(<Header left={labels[0]} right={labels[1]} />));
    header = false;
    try {
      const view = await notebookView(api, rendermime, left, right);
      view.addClass('aext-NotebookDiff');
      panel.addWidget(view);
      return;
    } catch (error) {
      panel.addWidget(
        message(
          trans.__('The notebooks could not be compared cell by cell (%1); their text follows.', errorText(error)),
          true
        )
      );
    }
  }
  panel.addWidget(
    ReactWidget.create(
      <TextDiffView left={left} right={right} labels={labels} trans={trans} header={header} />
    )
  );
}

/** Open the comparison in the main area. */
export function openCompare(
  shell: { add(widget: Widget, area: 'main'): void },
  request: ICompareRequest,
  api: IProjectsApi,
  rendermime: IRenderMimeRegistry | null,
  trans: TranslationBundle
): MainAreaWidget<Panel> {
  const content = new Panel();
  content.addClass('aext-CompareView');
  content.addWidget(message(trans.__('Loading both versions…')));
  const widget = new MainAreaWidget({ content });
  widget.title.label = request.title;
  widget.title.caption = request.path;
  widget.title.closable = true;
  shell.add(widget, 'main');
  void fill(content, request, api, rendermime, trans);
  return widget;
}

/** One version, read-only: a notebook rendered by nbdime (cells and outputs), else its text. */
export function openReadOnly(
  shell: { add(widget: Widget, area: 'main'): void },
  request: { title: string; path: string; load(): Promise<string> },
  rendermime: IRenderMimeRegistry | null,
  trans: TranslationBundle
): MainAreaWidget<Panel> {
  const content = new Panel();
  content.addClass('aext-CompareView');
  content.addClass('aext-ReadOnlyView');
  content.addWidget(message(trans.__('Loading…')));
  const widget = new MainAreaWidget({ content });
  widget.title.label = request.title;
  widget.title.caption = trans.__('%1 (read-only)', request.path);
  widget.title.closable = true;
  shell.add(widget, 'main');
  void (async () => {
    let text: string;
    try {
      text = await request.load();
    } catch (error) {
      content.widgets[0]?.dispose();
      content.addWidget(message(trans.__('This version could not be read: %1', errorText(error)), true));
      return;
    }
    content.widgets[0]?.dispose();
    content.addWidget(message(trans.__('Read-only: restore it to edit it.')));
    if (request.path.endsWith('.ipynb') && rendermime) {
      try {
        // A diff with no changes renders every cell as it is: a read-only notebook.
        const model = new NotebookDiffModel(JSON.parse(text), []);
        const view = new NotebookDiffWidget({ model, rendermime });
        await view.init();
        view.addClass('aext-NotebookDiff');
        content.addWidget(view);
        return;
      } catch {
        // not a notebook nbdime can read: show its text
      }
    }
    const pre = document.createElement('pre');
    pre.className = 'aext-ReadOnlyText';
    pre.textContent = BINARY.test(text)
      ? trans.__('This file is not text (%1 bytes); restore it to open it.', text.length)
      : text;
    content.addWidget(new Widget({ node: pre }));
  })();
  return widget;
}

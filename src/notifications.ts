/**
 * JupyterLab notifications for runs started from commands (the palette, the status bar):
 * one progress notification, updated in place, then replaced by the outcome with what to do
 * next ("Show conflicts", "Show details"). Runs started in the panel show there instead.
 */
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import { countsText, throttleText } from './components/RunOutcome';
import { runTitle } from './components/RunProgress';
import { ProjectsModel, runPercent } from './model';

const UPDATE_MS = 400;

/** Follow the project's current run until it ends. */
export function notifyRun(
  model: ProjectsModel,
  projectId: string,
  trans: TranslationBundle,
  showProject: (projectId: string) => void
): void {
  const run = model.run(projectId);
  if (!run) {
    return;
  }
  const title = model.project(projectId)?.title ?? projectId;
  const what = `${runTitle(run, trans)}: "${title}"`;
  const id = Notification.emit(trans.__('%1 starting…', what), 'in-progress', { autoClose: false });
  let last = 0;
  const onChange = () => {
    const current = model.run(projectId);
    if (!current || current.requestId !== run.requestId) {
      model.changed.disconnect(onChange);
      Notification.dismiss(id);
      return;
    }
    const outcome = current.outcome;
    if (!outcome) {
      const now = Date.now();
      const p = current.progress;
      if (p && now - last > UPDATE_MS) {
        last = now;
        const percent = Math.round(runPercent(current) ?? 0);
        Notification.update({
          id,
          message: trans.__('%1: %2 % (%3 of %4 files)', what, percent, p.done_files, p.total_files),
          type: 'in-progress',
          autoClose: false
        });
      }
      return;
    }
    model.changed.disconnect(onChange);
    const details = {
      label: trans.__('Show details'),
      callback: () => showProject(projectId)
    };
    if (outcome.kind === 'completed') {
      const summary = outcome.summary;
      const conflicts = summary.conflicts?.length ?? 0;
      const actions = conflicts
        ? [{ label: trans.__('Show conflicts'), callback: () => showProject(projectId) }, details]
        : [details];
      const type = summary.result === 'ok' && !conflicts ? 'success' : summary.result === 'cancelled' ? 'info' : 'warning';
      const heading =
        summary.result === 'ok'
          ? trans.__('%1 done.', what)
          : summary.result === 'partial'
            ? trans.__('%1 partly done: %2 files failed.', what, summary.failures?.length ?? 0)
            : summary.result === 'cancelled'
              ? trans.__('%1 cancelled.', what)
              : trans.__('%1 failed.', what);
      finish(
        [heading, countsText(summary, trans), throttleText(summary, trans)].filter(Boolean).join(' '),
        type,
        actions
      );
    } else {
      finish(
        trans.__('%1 stopped: %2', what, outcome.message),
        outcome.kind === 'gate' ? 'warning' : 'error',
        [details]
      );
    }
  };
  /**
   * The outcome is a notification of its own, not an update of the progress one: JupyterLab
   * draws a toast asynchronously, and an update that arrives before the toast is drawn is
   * lost (a fast run's toast said "starting…" for ever). A dismissal is never lost.
   */
  const finish = (
    message: string,
    type: Notification.TypeOptions,
    actions: Notification.IAction[]
  ) => {
    Notification.dismiss(id);
    Notification.emit(message, type, { actions, autoClose: type === 'success' ? 6000 : false });
  };
  model.changed.connect(onChange);
  onChange(); // a run refused at once (offline) already has its outcome: say it now
}

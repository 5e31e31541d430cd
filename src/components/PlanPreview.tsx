/**
 * The "Preview plan" dialog's body: choose sync, push or pull and see what it would do
 * (`GET plan`, a dry run) before doing it. The dialog's run button starts the chosen one.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Direction, PlanResult } from '../api/types';
import { errorText } from '../model';
import { PlanView } from './PlanView';

type LoadPlan = (direction: Direction) => Promise<PlanResult>;

function directionLabel(direction: Direction, trans: TranslationBundle): string {
  switch (direction) {
    case 'sync':
      return trans.__('Sync (both ways)');
    case 'push':
      return trans.__('Push (this folder to the cloud)');
    case 'pull':
      return trans.__('Pull (the cloud to this folder)');
  }
}

function PlanChooser(props: {
  load: LoadPlan;
  initial: Direction;
  onDirection(direction: Direction): void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const [direction, setDirection] = React.useState<Direction>(props.initial);
  const [state, setState] = React.useState<
    { plan: PlanResult } | { error: string } | null
  >(null);
  React.useEffect(() => {
    let current = true;
    setState(null);
    props
      .load(direction)
      .then(plan => current && setState({ plan }))
      .catch(error => current && setState({ error: errorText(error) }));
    return () => {
      current = false;
    };
  }, [direction]);
  const choose = (value: Direction) => {
    setDirection(value);
    props.onDirection(value);
  };
  return (
    <div className="aext-PlanPreview">
      <div className="aext-PlanPreview-directions" role="radiogroup">
        {(['sync', 'push', 'pull'] as Direction[]).map(value => (
          <label key={value}>
            <input
              type="radio"
              name="direction"
              value={value}
              checked={direction === value}
              onChange={() => choose(value)}
            />
            {directionLabel(value, trans)}
          </label>
        ))}
      </div>
      {state === null && <p>{trans.__('Comparing the folder with the cloud…')}</p>}
      {state !== null && 'error' in state && (
        <p role="alert">{trans.__('The plan could not be made: %1', state.error)}</p>
      )}
      {state !== null && 'plan' in state && <PlanView plan={state.plan} trans={trans} />}
    </div>
  );
}

export class PlanPreview extends ReactWidget {
  constructor(
    readonly load: LoadPlan,
    readonly trans: TranslationBundle,
    initial: Direction = 'sync'
  ) {
    super();
    this._direction = initial;
    this.addClass('aext-PlanPreviewDialog');
  }

  /** The direction chosen when the dialog closed. */
  getValue(): Direction {
    return this._direction;
  }

  render(): JSX.Element {
    return (
      <PlanChooser
        load={this.load}
        initial={this._direction}
        onDirection={d => (this._direction = d)}
        trans={this.trans}
      />
    );
  }

  private _direction: Direction;
}

import { ISessionContextDialogs } from '@jupyterlab/apputils';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';

import { ReactiveConnection } from './connection';
import { CellStateName } from './protocol';

/** States whose output is out of date until the cell runs again. */
export const STALE: ReadonlySet<CellStateName> = new Set([
  'stale',
  'failed-upstream',
  'cancelled'
]);

/**
 * Run the stale cells top to bottom.  One request at a time: running a cell
 * reruns what reads it, so the states are read anew before each next cell
 * and a cell that became current meanwhile is not run again.  A failure
 * stops the walk, as Run All stops.
 */
export async function runStaleCells(
  panel: NotebookPanel,
  connection: ReactiveConnection,
  dialogs?: ISessionContextDialogs,
  translator?: ITranslator
): Promise<number> {
  const tried = new Set<string>();
  let ran = 0;
  for (;;) {
    const state = connection.state;
    if (!state) {
      return ran;
    }
    const next = panel.content.widgets.find(cell => {
      const id = cell.model.sharedModel.getId();
      const entry = state.cells[id];
      return (
        cell.model.type === 'code' &&
        !tried.has(id) &&
        entry !== undefined &&
        STALE.has(entry.state)
      );
    });
    if (!next) {
      return ran;
    }
    tried.add(next.model.sharedModel.getId());
    const ok = await NotebookActions.runCells(
      panel.content,
      [next],
      panel.sessionContext,
      dialogs,
      translator
    );
    ran++;
    if (!ok) {
      return ran;
    }
  }
}

export function hasStaleCells(
  connection: ReactiveConnection | undefined
): boolean {
  const cells = connection?.state?.cells;
  return !!cells && Object.values(cells).some(cell => STALE.has(cell.state));
}

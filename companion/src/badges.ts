import { Cell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ReactiveConnection } from './connection';
import { ICellState, IStateMessage } from './protocol';

const BADGE = 'rk-Badge';
const HAS_BADGE = 'rk-has-badge';
const UPSTREAM = 'rk-upstream';
const DOWNSTREAM = 'rk-downstream';
const FOCUS = 'rk-focus';
const STATE_PREFIX = 'rk-state-';

/** A badge's text and tooltip for a cell state, or null for no badge. */
export function badgeFor(
  cellId: string,
  cell: ICellState,
  label: (id: string) => string
): { text: string; title: string } | null {
  const when =
    cell.count !== undefined && cell.count !== null ? `[${cell.count}]` : '';
  const forOther =
    cell.by !== undefined && cell.by !== null && cell.by !== cellId;
  switch (cell.state) {
    case 'stale':
      return {
        text: 'stale',
        title:
          'What this cell reads changed: its output is out of date. Run it (or "Run stale cells") to update.'
      };
    case 'reran':
      return {
        text: `↻ ${when}`,
        title: `${cell.why ?? `Ran for ${when}`}${forOther ? ` (request for ${label(cell.by!)})` : ''}. Its prompt still shows its own last run.`
      };
    case 'failed':
      return forOther
        ? {
            text: `✗ ${when}`,
            title: `Failed when it ran for ${when} (request for ${label(cell.by!)}).`
          }
        : null;
    case 'failed-upstream':
      return {
        text: '✗ upstream',
        title: `Not run in ${when}: upstream cell ${cell.upstream ? label(cell.upstream) : ''} failed. Its output is stale.`
      };
    case 'cancelled':
      return {
        text: 'cancelled',
        title: `Not run in ${when}: the run was interrupted. Its output is stale.`
      };
    default:
      return null;
  }
}

/**
 * Draws the kernel's cell states on the notebook: a badge in each cell's
 * prompt area, and, for the active cell, its upstream and downstream cells.
 */
export class CellDecorations implements IDisposable {
  constructor(
    readonly notebook: Notebook,
    readonly connection: ReactiveConnection
  ) {
    connection.stateChanged.connect(this._onState, this);
    notebook.activeCellChanged.connect(this._highlight, this);
    notebook.model?.cells.changed.connect(this._redraw, this);
    notebook.modelChanged.connect(() =>
      notebook.model?.cells.changed.connect(this._redraw, this)
    );
    this._redraw();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.connection.stateChanged.disconnect(this._onState, this);
    this.notebook.activeCellChanged.disconnect(this._highlight, this);
    for (const cell of this.notebook.widgets) {
      this._decorate(cell, undefined);
      cell.removeClass(HAS_BADGE);
      cell.removeClass(UPSTREAM);
      cell.removeClass(DOWNSTREAM);
      cell.removeClass(FOCUS);
    }
  }

  private _onState(): void {
    this._redraw();
  }

  private _redraw(): void {
    if (this._disposed) {
      return;
    }
    const state = this.connection.state;
    for (const cell of this.notebook.widgets) {
      this._decorate(cell, state);
    }
    this._highlight();
  }

  private _decorate(cell: Cell, state: IStateMessage | null | undefined): void {
    const id = cell.model.sharedModel.getId();
    const entry = state?.cells[id];
    for (const name of Array.from(cell.node.classList)) {
      if (name.startsWith(STATE_PREFIX)) {
        cell.removeClass(name);
      }
    }
    const area = cell.inputArea?.node;
    let badge = area?.querySelector(`:scope > .${BADGE}`) as HTMLElement | null;
    const shown =
      entry && state
        ? badgeFor(id, entry, other => state.cells[other]?.label ?? other)
        : null;
    if (entry) {
      cell.addClass(STATE_PREFIX + entry.state);
    }
    cell.toggleClass(HAS_BADGE, !!shown && !!area);
    if (!shown || !area) {
      badge?.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement('div');
      badge.classList.add(BADGE);
      area.appendChild(badge);
    }
    badge.dataset.state = entry!.state;
    badge.textContent = shown.text;
    badge.title = shown.title;
  }

  /** Mark the cells the active cell reads from, and those that read it. */
  private _highlight(): void {
    const active = this.notebook.activeCell;
    const ticket = ++this._ticket;
    if (!active || !this.connection.connected) {
      this._mark(null, [], []);
      return;
    }
    const id = active.model.sharedModel.getId();
    void this.connection.related(id).then(related => {
      if (ticket !== this._ticket || this._disposed) {
        return; // another cell was selected meanwhile
      }
      this._mark(
        related && related.known ? id : null,
        related?.upstream ?? [],
        related?.downstream ?? []
      );
    });
  }

  private _mark(
    focus: string | null,
    upstream: string[],
    downstream: string[]
  ): void {
    const up = new Set(upstream);
    const down = new Set(downstream);
    for (const cell of this.notebook.widgets) {
      const id = cell.model.sharedModel.getId();
      cell.toggleClass(UPSTREAM, up.has(id));
      cell.toggleClass(DOWNSTREAM, down.has(id));
      cell.toggleClass(
        FOCUS,
        focus !== null && id === focus && (up.size > 0 || down.size > 0)
      );
    }
  }

  private _disposed = false;
  private _ticket = 0;
}

import { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

import { ReactiveConnection } from './connection';
import { ICellState, IRunningMessage, IStateMessage } from './protocol';

const BADGE = 'rk-Badge';
const STATUS = 'rk-Status';
const HAS_BADGE = 'rk-has-badge';
const RUNNING = 'rk-running';
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
        title: `${cell.why ?? `Ran for ${when}`}${forOther ? ` (request for ${label(cell.by!)})` : ''}.`
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

/** The last request as the status lines tell it: its count, its cell and
 * its summary. */
export interface ILastRequest {
  count: number;
  cellId: string | null;
  summary: string | null;
}

/**
 * A cell's one-line status: what is happening to it or what the last request
 * did to it, in words; or null.  Shown between its code and its outputs,
 * never inside them.
 */
export function statusFor(
  cellId: string,
  cell: ICellState | undefined,
  last: ILastRequest | null,
  running: IRunningMessage | null,
  label: (id: string) => string
): { icon: string; text: string } | null {
  if (running && running.cell_id === cellId) {
    const count = running.request.count;
    const target = running.request.cell_id;
    const forWhat = `${count !== null ? `[${count}]` : 'a request'}${target ? ` (${label(target)})` : ''}`;
    return {
      icon: '⏵',
      text:
        running.role === 'ancestor'
          ? `running first, for ${forWhat}, which needs it…`
          : `rerunning for ${forWhat}…`
    };
  }
  const when =
    cell?.count !== undefined && cell.count !== null ? `[${cell.count}]` : '';
  const latest = !!last && cell?.count === last.count;
  if (last && last.cellId === cellId && last.summary) {
    return { icon: '↻', text: stripIcon(last.summary)! };
  }
  switch (cell?.state) {
    case 'reran':
      return latest
        ? { icon: '↻', text: stripIcon(cell.why) ?? `reran for ${when}` }
        : null;
    case 'failed':
      return latest && cell.by && cell.by !== cellId
        ? { icon: '✗', text: `failed when it ran for ${when}` }
        : null;
    case 'failed-upstream':
      return {
        icon: '⚠',
        text: `not run in ${when}: upstream cell ${cell.upstream ? label(cell.upstream) : ''} failed; this output is stale`
      };
    case 'cancelled':
      return {
        icon: '⚠',
        text: `not run in ${when}: the run was interrupted; this output is stale`
      };
    case 'stale':
      return {
        icon: '⚠',
        text:
          stripIcon(cell.why) ??
          'stale: what it reads changed; run it to update'
      };
    default:
      return null;
  }
}

/** The kernel's lines may start with their own mark; the status has one. */
function stripIcon(line: string | undefined): string | undefined {
  return line?.replace(/^[↻⚠✗]\s*/u, '');
}

/**
 * Draws the kernel's cell states on the notebook: a badge in each cell's
 * prompt area, a one-line status under the code of the cells a request ran
 * or left stale (and of the cell running now for another), and, for the
 * active cell, its upstream and downstream cells.
 */
export class CellDecorations implements IDisposable {
  constructor(
    readonly notebook: Notebook,
    readonly connection: ReactiveConnection
  ) {
    connection.stateChanged.connect(this._onState, this);
    connection.runningChanged.connect(this._redraw, this);
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
    this.connection.runningChanged.disconnect(this._redraw, this);
    this.notebook.activeCellChanged.disconnect(this._highlight, this);
    for (const cell of this.notebook.widgets) {
      this._decorate(cell, undefined);
      cell.removeClass(HAS_BADGE);
      cell.removeClass(RUNNING);
      cell.removeClass(UPSTREAM);
      cell.removeClass(DOWNSTREAM);
      cell.removeClass(FOCUS);
    }
  }

  private _onState(_: ReactiveConnection, state: IStateMessage | null): void {
    // states sent in answer to the page (order, sources, deletions) carry no
    // request: the last request's lines stay until the next one
    if (!state) {
      this._last = null;
    } else if (state.request.count !== null) {
      this._last = {
        count: state.request.count,
        cellId: state.request.cell_id,
        summary: state.summary ?? null
      };
    }
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
    let entry = state?.cells[id];
    if (entry?.state === 'stale' && isRunning(cell)) {
      entry = undefined; // an edited cell the person runs now: not news
    }
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
    this._status(cell, id, entry, state);
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

  /** The one-line status between the cell's code and its outputs. */
  private _status(
    cell: Cell,
    id: string,
    entry: ICellState | undefined,
    state: IStateMessage | null | undefined
  ): void {
    const wrapper = cell.inputArea?.parent?.node;
    let line = cell.node.querySelector(
      `:scope > .${STATUS}`
    ) as HTMLElement | null;
    const running = state === undefined ? null : this.connection.running;
    const status =
      state === undefined
        ? null
        : statusFor(id, entry, this._last, running, other =>
            label(state, other)
          );
    cell.toggleClass(RUNNING, running?.cell_id === id);
    if (!status || !wrapper || wrapper.parentElement !== cell.node) {
      line?.remove();
      return;
    }
    if (!line) {
      line = document.createElement('div');
      line.classList.add(STATUS);
      line.append(
        document.createElement('span'),
        document.createElement('span')
      );
      line.firstElementChild!.classList.add(`${STATUS}-icon`);
      line.lastElementChild!.classList.add(`${STATUS}-text`);
      wrapper.insertAdjacentElement('afterend', line);
    }
    line.dataset.state =
      running?.cell_id === id ? 'running' : (entry?.state ?? '');
    line.firstElementChild!.textContent = status.icon;
    line.lastElementChild!.textContent = status.text;
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
  private _last: ILastRequest | null = null;
  private _ticket = 0;
}

function isRunning(cell: Cell): boolean {
  return (
    cell.model.type === 'code' &&
    (cell.model as ICodeCellModel).executionState === 'running'
  );
}

function label(state: IStateMessage | null, cellId: string): string {
  return state?.cells[cellId]?.label ?? cellId;
}

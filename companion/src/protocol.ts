/**
 * The `reactive` comm protocol, version 1 (docs/companion.md).
 */
import type * as nbformat from '@jupyterlab/nbformat';

/** The comm target the reactive kernel registers. */
export const TARGET = 'reactive';

/*
 * The kernel's words (reactive_kernel/vocabulary.py), spelled as there:
 * tests/test_vocabulary_everywhere.py compares these unions with it.
 */

/** One word per cell: what its prompt badge shows. */
export type CellStateName =
  | 'ran'
  | 'reran'
  | 'stale'
  | 'failed'
  | 'failed-upstream'
  | 'cancelled'
  | 'unrun';

/** Why a cell is in a request's plan. */
export type Role = 'ancestor' | 'target' | 'descendant';

/** How a step of a plan ended. */
export type Status = 'ok' | 'error' | 'cancelled' | 'interrupted';

/** Where the notebook order came from. */
export type OrderSource = 'page' | 'notebook' | 'registration';

/**
 * What went wrong with a request as a whole: `error.kind` in an execute
 * reply's `metadata.reactive`.  The companion does not read it; it is here
 * so that every word the kernel sends has one spelling.
 */
export type ErrorKind =
  'syntax' | 'internal' | 'upstream' | 'interrupted' | 'aborted';

/**
 * What a companion does besides listening, announced in `comm_open`:
 * `outputs`, it writes the outputs of cells run for another cell into them;
 * `deltas`, it merges `state` deltas into the state it holds;
 * `replies`, it reads its `state` from its own requests' `execute_reply`
 * (`metadata.reactive.state`) instead of a comm message.
 */
export type Capability = 'outputs' | 'deltas' | 'replies';

/** The capabilities this companion announces. */
export const CAPABILITIES: Capability[] = ['outputs', 'deltas', 'replies'];

/** A request: its execution count and the cell it was for. */
export interface IRequest {
  count: number | null;
  cell_id: string | null;
}

export interface ICellState {
  state: CellStateName;
  /** How a person recognises the cell: its %%cell name, what it defines, or its first line. */
  label: string;
  /** The execution count the cell showed when it last ran as requested. */
  prompt: number | null;
  /** The execution count of the latest request that planned the cell. */
  count?: number;
  /** The cell that request was for. */
  by?: string;
  role?: Role;
  status?: Status;
  /** For failed-upstream: the failed cell it waited for. */
  upstream?: string;
  /** Why it ran for another cell, in one line. */
  why?: string;
}

export interface IStateMessage {
  type: 'state';
  /**
   * Only what changed since the last state this comm received (sent to
   * companions that announced `deltas`): merge it with `mergeState`.
   */
  delta?: boolean;
  /**
   * The state this message gives; a reply and a comm message travel on
   * different channels, so an older one than the state held is late.
   */
  version?: number;
  /** In a delta: the version it applies to (another: a message is missing). */
  base?: number;
  request: IRequest;
  order: OrderSource;
  /** Known cells in notebook order; in a delta, the cells that changed or are new, each whole. */
  cells: { [cellId: string]: ICellState };
  /** In a delta: cells no longer known. */
  removed?: string[];
  /** In a delta whose cells moved: every known cell, in notebook order. */
  sequence?: string[];
  /** One line about what else the request ran, or null. */
  summary?: string | null;
}

/**
 * The state after a delta (docs/companion.md, "Deltas"): removed cells go,
 * each listed cell replaces the old entry whole, cells not known before go
 * at the end in the order listed, or every cell in the order of `sequence`.
 */
export function mergeState(
  state: IStateMessage,
  delta: IStateMessage
): IStateMessage {
  if (!delta.delta) {
    return delta;
  }
  const removed = new Set(delta.removed ?? []);
  const order =
    delta.sequence ??
    Object.keys(state.cells)
      .filter(id => !removed.has(id))
      .concat(Object.keys(delta.cells).filter(id => !(id in state.cells)));
  const cells: { [cellId: string]: ICellState } = {};
  for (const id of order) {
    const entry = delta.cells[id] ?? state.cells[id];
    if (entry) {
      cells[id] = entry;
    }
  }
  return {
    type: 'state',
    request: delta.request,
    order: delta.order,
    cells,
    summary: delta.summary
  };
}

/**
 * What an `execute_reply` of this client's request carries for a companion
 * that announced `replies`, in `metadata.reactive.state`: the state after
 * the request, for one comm.
 */
export interface IReplyState {
  comm_id: string;
  message: IStateMessage;
}

/** A cell that was not requested is about to run for `request`. */
export interface IRunningMessage {
  type: 'running';
  cell_id: string;
  role: Exclude<Role, 'target'>;
  request: IRequest;
}

/**
 * A cell that was not requested ran: what a run of it would save.  Sent only
 * to companions that announced `outputs`.
 */
export interface IOutputsMessage {
  type: 'outputs';
  cell_id: string;
  role: Exclude<Role, 'target'>;
  execution_count: number | null;
  outputs: nbformat.IOutput[];
  /**
   * Per output, the display id it was shown under (null: none); present when
   * one has one.  A later `update_display_data` of that id on IOPub replaces
   * it, as JupyterLab replaces the outputs of a display id it saw.
   */
  display_ids?: (string | null)[];
}

export interface IRelatedMessage {
  type: 'related';
  id?: number;
  cell_id: string;
  known: boolean;
  upstream: string[];
  downstream: string[];
}

export interface IGraphMessage {
  type: 'graph';
  id?: number;
  order: OrderSource;
  nodes: {
    id: string;
    label: string;
    state: CellStateName;
    prompt: number | null;
  }[];
  edges: { source: string; target: string; names: string[] }[];
}

export interface IErrorMessage {
  type: 'error';
  id?: number;
  message: string;
}

export interface IHelloMessage {
  type: 'hello';
  version: number;
}

/** Is this frontend still there?  Answered with `pong` at once. */
export interface IPingMessage {
  type: 'ping';
}

export type KernelMessage =
  | IHelloMessage
  | IStateMessage
  | IRunningMessage
  | IOutputsMessage
  | IRelatedMessage
  | IGraphMessage
  | IErrorMessage
  | IPingMessage;

/*
 * Frontend -> kernel.
 */

/** The code cells' ids in page order. */
export interface IOrderMessage {
  type: 'order';
  cells: string[];
}

/** The live code of code cells, unsaved edits included. */
export interface ISourcesMessage {
  type: 'sources';
  cells: { id: string; source: string }[];
}

/** Code cells gone from the page. */
export interface IDeletedMessage {
  type: 'deleted';
  cells: string[];
}

/**
 * The tags (`metadata.tags`) of code cells, each list whole (empty: none);
 * for the cells named they win over the saved file's.  The tag `cache` opts
 * a cell into the kernel's cache.  Not answered.
 */
export interface ITagsMessage {
  type: 'tags';
  cells: { [cellId: string]: string[] };
}

export type CompanionMessage =
  | IOrderMessage
  | ISourcesMessage
  | IDeletedMessage
  | ITagsMessage
  | { type: 'related'; cell_id: string }
  | { type: 'graph' }
  | { type: 'state' }
  | { type: 'pong' };

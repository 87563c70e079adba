/**
 * The `reactive` comm protocol, version 1 (docs/companion.md).
 */

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
export type Status = 'ok' | 'error' | 'cancelled';

/** Where the notebook order came from. */
export type OrderSource = 'page' | 'notebook' | 'registration';

/**
 * What went wrong with a request as a whole: `error.kind` in an execute
 * reply's `metadata.reactive`.  The companion does not read it; it is here
 * so that every word the kernel sends has one spelling.
 */
export type ErrorKind =
  'syntax' | 'internal' | 'upstream' | 'interrupted' | 'aborted';

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
  request: { count: number | null; cell_id: string | null };
  order: OrderSource;
  /** Known cells in notebook order. */
  cells: { [cellId: string]: ICellState };
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

export type KernelMessage =
  | IHelloMessage
  | IStateMessage
  | IRelatedMessage
  | IGraphMessage
  | IErrorMessage;

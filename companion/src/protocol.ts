/**
 * The `reactive` comm protocol, version 1 (docs/companion.md).
 */

/** The comm target the reactive kernel registers. */
export const TARGET = 'reactive';

/** One word per cell: what its prompt badge shows. */
export type CellStateName =
  | 'ran'
  | 'reran'
  | 'stale'
  | 'failed'
  | 'failed-upstream'
  | 'cancelled'
  | 'unrun';

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
  role?: 'target' | 'ancestor' | 'descendant';
  status?: 'ok' | 'error' | 'cancelled';
  /** For failed-upstream: the failed cell it waited for. */
  upstream?: string;
  /** Why it ran for another cell, in one line. */
  why?: string;
}

export interface IStateMessage {
  type: 'state';
  request: { count: number | null; cell_id: string | null };
  order: 'page' | 'notebook' | 'registration';
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
  order: string;
  nodes: { id: string; label: string; state: CellStateName; prompt: number | null }[];
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

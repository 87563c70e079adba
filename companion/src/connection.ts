import { ISessionContext } from '@jupyterlab/apputils';
import { Notebook } from '@jupyterlab/notebook';
import { Kernel, KernelMessage as JupyterMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IGraphMessage,
  IRelatedMessage,
  IStateMessage,
  KernelMessage,
  TARGET
} from './protocol';

/** The implementation name the reactive kernel reports in kernel_info. */
const IMPLEMENTATION = 'reactive_kernel';

/**
 * One notebook's comm to its reactive kernel.
 *
 * It reports the page order (code cell ids) whenever cells are added, moved
 * or deleted, synchronously, so the order goes out before any execute_request
 * that follows; and it keeps the latest cell states the kernel sent.  With any
 * other kernel it stays silent.
 */
export class ReactiveConnection implements IDisposable {
  constructor(
    readonly notebook: Notebook,
    readonly sessionContext: ISessionContext
  ) {
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    sessionContext.statusChanged.connect(this._onStatus, this);
    this._watchCells();
    void this._connect();
  }

  /** Emitted when the kernel sends new cell states (or the comm goes away). */
  get stateChanged(): ISignal<this, IStateMessage | null> {
    return this._stateChanged;
  }

  /** The latest cell states; null while no reactive kernel is connected. */
  get state(): IStateMessage | null {
    return this._state;
  }

  get connected(): boolean {
    return this._comm !== null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The cells upstream and downstream of a cell. */
  related(cellId: string): Promise<IRelatedMessage | null> {
    return this._ask({
      type: 'related',
      cell_id: cellId
    }) as Promise<IRelatedMessage | null>;
  }

  /** The notebook's dependency graph. */
  graph(): Promise<IGraphMessage | null> {
    return this._ask({ type: 'graph' }) as Promise<IGraphMessage | null>;
  }

  /** Code cell ids in page order. */
  pageOrder(): string[] {
    const model = this.notebook.model;
    if (!model) {
      return [];
    }
    const ids: string[] = [];
    for (let i = 0; i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      if (cell.type === 'code') {
        ids.push(cell.sharedModel.getId());
      }
    }
    return ids;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._closeComm(true);
    Signal.clearData(this);
  }

  // -- the comm ------------------------------------------------------------------
  private async _connect(): Promise<void> {
    const kernel = this.sessionContext.session?.kernel;
    if (!kernel || this._comm || this._disposed) {
      return;
    }
    let info: JupyterMessage.IInfoReply | undefined;
    try {
      info = await kernel.info;
    } catch {
      return;
    }
    const current = this.sessionContext.session?.kernel;
    if (
      this._disposed ||
      this._comm ||
      current !== kernel ||
      info?.implementation !== IMPLEMENTATION
    ) {
      return;
    }
    const comm = kernel.createComm(TARGET);
    comm.onMsg = msg => this._receive(comm, msg);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._setState(null);
      }
    };
    this._comm = comm;
    this._kernel = kernel;
    this._sentOrder = this.pageOrder();
    comm.open({ order: this._sentOrder });
  }

  private _closeComm(send: boolean): void {
    const comm = this._comm;
    this._comm = null;
    this._kernel = null;
    for (const resolve of this._waiting.values()) {
      resolve(null);
    }
    this._waiting.clear();
    if (comm && send && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // the kernel is gone already
      }
    }
    this._setState(null);
  }

  private _receive(comm: Kernel.IComm, msg: JupyterMessage.ICommMsgMsg): void {
    if (comm !== this._comm) {
      return;
    }
    const data = msg.content.data as unknown as KernelMessage;
    if (data.type === 'state') {
      this._setState(data);
    } else if (data.type === 'error') {
      console.warn(`reactive-kernel companion: ${data.message}`);
    }
    const id = (data as { id?: number }).id;
    if (id !== undefined && this._waiting.has(id)) {
      const resolve = this._waiting.get(id)!;
      this._waiting.delete(id);
      resolve(data.type === 'error' ? null : data);
    }
  }

  private _ask(data: {
    type: string;
    [key: string]: unknown;
  }): Promise<KernelMessage | null> {
    const comm = this._comm;
    if (!comm) {
      return Promise.resolve(null);
    }
    const id = ++this._nextId;
    return new Promise(resolve => {
      this._waiting.set(id, resolve);
      comm.send({ ...data, id });
    });
  }

  private _setState(state: IStateMessage | null): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  // -- the page order ---------------------------------------------------------------
  private _watchCells(): void {
    const watch = () => {
      const model = this.notebook.model;
      if (model && model !== this._watched) {
        this._watched = model;
        model.cells.changed.connect(this._sendOrder, this);
        this._sendOrder();
      }
    };
    this.notebook.modelChanged.connect(watch);
    watch();
  }

  /** Runs synchronously inside the cell list's change: the order is on the
   * wire before any execute_request the same user action leads to. */
  private _sendOrder(): void {
    const comm = this._comm;
    if (!comm || comm.isDisposed) {
      return;
    }
    const order = this.pageOrder();
    if (sameList(order, this._sentOrder)) {
      return;
    }
    this._sentOrder = order;
    comm.send({ type: 'order', cells: order });
  }

  // -- the kernel's life --------------------------------------------------------------
  private _onKernelChanged(): void {
    this._closeComm(false);
    void this._connect();
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
      this._closeComm(false);
    } else if (status === 'idle' && !this._comm) {
      void this._connect();
    } else if (
      this._comm &&
      this._kernel !== this.sessionContext.session?.kernel
    ) {
      this._onKernelChanged();
    }
  }

  private _comm: Kernel.IComm | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _disposed = false;
  private _nextId = 0;
  private _sentOrder: string[] = [];
  private _state: IStateMessage | null = null;
  private _stateChanged = new Signal<this, IStateMessage | null>(this);
  private _waiting = new Map<number, (data: KernelMessage | null) => void>();
  private _watched: unknown = null;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

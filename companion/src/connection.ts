import { ISessionContext } from '@jupyterlab/apputils';
import { Cell, ICodeCellModel } from '@jupyterlab/cells';
import type { CellChange, ISharedCell } from '@jupyter/ydoc';
import { Notebook, NotebookActions } from '@jupyterlab/notebook';
import type * as nbformat from '@jupyterlab/nbformat';
import { Kernel, KernelMessage as JupyterMessage } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  CAPABILITIES,
  CompanionMessage,
  IGraphMessage,
  IOutputsMessage,
  IRelatedMessage,
  IReplyState,
  IRunningMessage,
  IStateMessage,
  KernelMessage,
  mergeState,
  TARGET
} from './protocol';

/** The implementation name the reactive kernel reports in kernel_info. */
const IMPLEMENTATION = 'reactive_kernel';

/** One output of a cell's output area, as the cell's model holds it. */
type OutputItem = ReturnType<ICodeCellModel['outputs']['get']>;

/** The parts of a display message that an update of its display id carries. */
interface IDisplayContent {
  data?: nbformat.IMimeBundle;
  metadata?: nbformat.OutputMetadata;
  transient?: { display_id?: string };
}

/** On the notebook while a reactive kernel's comm is open and has said hello. */
export const CONNECTED = 'rk-connected';

/**
 * One notebook's comm to its reactive kernel.
 *
 * It reports the page order (code cell ids) and the deleted cells whenever
 * cells are added, moved or deleted, the code cells' tags whenever they
 * change (the tag `cache` opts a cell into the kernel's cache), and the code
 * edited since the last report right before a cell's execution is scheduled;
 * all synchronously and on the main shell (`onMainShell`), so the kernel
 * has them before the execute_request that follows.  It writes the
 * outputs of cells the kernel ran for another cell into those cells (and
 * later updates of the display ids they were shown under, as JupyterLab
 * updates those of the cells it ran), and keeps the latest cell states
 * (merging the kernel's deltas) and the cell running now.  It answers the kernel's `ping`; when the kernel closes the
 * comm (it took this page for gone) it opens a new one at once.  With any
 * other kernel it stays silent.
 */
export class ReactiveConnection implements IDisposable {
  constructor(
    readonly notebook: Notebook,
    readonly sessionContext: ISessionContext
  ) {
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    sessionContext.statusChanged.connect(this._onStatus, this);
    sessionContext.connectionStatusChanged.connect(this._onConnection, this);
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
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

  /** Emitted when a cell starts running for another cell, and when that ends. */
  get runningChanged(): ISignal<this, IRunningMessage | null> {
    return this._runningChanged;
  }

  /** The cell that runs now for another cell's request, if any. */
  get running(): IRunningMessage | null {
    return this._running;
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
    NotebookActions.executionScheduled.disconnect(this._onScheduled, this);
    this._closeComm(true);
    Signal.clearData(this);
  }

  // -- the comm ------------------------------------------------------------------
  /**
   * Open the comm.  `reopen`: the kernel closed the previous one (it took
   * this page for gone) but still knows the page's code: keep drawing the
   * old state until the new one arrives, and send only the code edited since.
   */
  private async _connect(reopen = false): Promise<void> {
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
    onMainShell(comm);
    comm.onMsg = msg => this._receive(comm, msg);
    comm.onClose = () => {
      // closed by the kernel (a close from here forgets the comm first)
      if (this._comm === comm) {
        this._forgetComm();
        void this._connect(true);
      }
    };
    this._comm = comm;
    this._kernel = kernel;
    kernel.iopubMessage.connect(this._onIOPub, this);
    kernel.anyMessage.connect(this._onAnyMessage, this);
    this._sentOrder = this.pageOrder();
    comm.open({ order: this._sentOrder, capabilities: CAPABILITIES });
    if (!reopen) {
      // the kernel runs what is on screen, unsaved edits included
      this._edited.clear();
      this._send({ type: 'sources', cells: this._sources(this._sentOrder) });
    }
    // every code cell's tags, none included: the page's win over the saved file's
    this._sentTags.clear();
    this._reportTags(this._sharedCells());
  }

  /** No comm any more; what waited for an answer gets none. */
  private _forgetComm(): void {
    this.notebook.removeClass(CONNECTED);
    this._kernel?.iopubMessage.disconnect(this._onIOPub, this);
    this._kernel?.anyMessage.disconnect(this._onAnyMessage, this);
    this._version = null;
    this._comm = null;
    this._kernel = null;
    for (const resolve of this._waiting.values()) {
      resolve(null);
    }
    this._waiting.clear();
    this._setRunning(null);
  }

  private _closeComm(send: boolean): void {
    const comm = this._comm;
    this._forgetComm();
    this._displays.clear(); // a display id lives as long as its kernel
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
    if (data.type === 'hello') {
      // the kernel has the page's order, code and tags: what runs from now on
      // runs as on screen (a cell run before this point ran as the kernel
      // knew it); styles and tests can tell by this class
      this.notebook.addClass(CONNECTED);
    }
    if (data.type === 'state') {
      this._receiveState(data);
    } else if (data.type === 'ping') {
      this._send({ type: 'pong' });
    } else if (data.type === 'running') {
      // late: the state after its request came first (in the reply)
      const last = this._state?.request.count;
      const count = data.request.count;
      if (
        last === undefined ||
        last === null ||
        count === null ||
        count > last
      ) {
        this._setRunning(data);
      }
    } else if (data.type === 'outputs') {
      this._writeOutputs(data);
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

  /**
   * A state, from a comm message or a reply.  One older than the state held
   * is late and dropped; a delta that does not apply to the state held
   * follows one that has not arrived: ask for everything instead.
   */
  private _receiveState(data: IStateMessage): void {
    const version = typeof data.version === 'number' ? data.version : null;
    const held = this._version;
    if (
      version !== null &&
      held !== null &&
      (version < held || (version === held && data.delta && data.base !== held))
    ) {
      return;
    }
    // a cell of a later request may run already (its reply overtook this state)
    const running = this._running?.request.count;
    const count = data.request?.count;
    if (
      running === undefined ||
      running === null ||
      count === undefined ||
      count === null ||
      running <= count
    ) {
      this._setRunning(null);
    }
    if (!data.delta) {
      this._setState(data);
    } else if (this._state && (data.base === undefined || data.base === held)) {
      this._setState(mergeState(this._state, data));
    } else {
      this._send({ type: 'state' }); // nothing to merge into: ask for all
      return;
    }
    if (version !== null) {
      this._version = version;
    }
  }

  /** The state after a request of this client rides in its reply. */
  private _onAnyMessage(
    _: Kernel.IKernelConnection,
    args: Kernel.IAnyMessageArgs
  ): void {
    const msg = args.msg;
    if (args.direction !== 'recv' || msg.header.msg_type !== 'execute_reply') {
      return;
    }
    const reactive = (msg.metadata as { reactive?: { state?: IReplyState } })
      .reactive;
    const state = reactive?.state;
    const comm = this._comm;
    if (state && comm && state.comm_id === comm.commId && state.message) {
      this._receiveState(state.message);
    }
  }

  private _send(data: CompanionMessage): void {
    const comm = this._comm;
    if (comm && !comm.isDisposed) {
      comm.send({ ...data });
    }
  }

  private _ask(data: CompanionMessage): Promise<KernelMessage | null> {
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

  private _setRunning(running: IRunningMessage | null): void {
    const previous = this._running;
    if (previous === running) {
      return;
    }
    this._running = running;
    // the prompt says `[*]` while the cell runs, as for a requested cell;
    // only a mark made here is taken back (not JupyterLab's, for a cell the
    // user ran meanwhile)
    const before = this._marked;
    this._marked = null;
    if (before && before.executionState === 'running') {
      before.executionState = 'idle';
    }
    const now = running ? this._codeModel(running.cell_id) : null;
    if (now && now.executionState !== 'running') {
      now.executionState = 'running';
      this._marked = now;
    }
    this._runningChanged.emit(running);
  }

  /**
   * What a run of the cell would save: its outputs, with their own types,
   * in place of the old ones, and its new execution count.  Through the
   * model, so the notebook is dirty and a save keeps them.
   */
  private _writeOutputs(data: IOutputsMessage): void {
    const model = this._codeModel(data.cell_id);
    if (!model) {
      return; // deleted meanwhile
    }
    // no transaction around these: the model keeps its shared copy in step
    // only for changes made outside one (as OutputArea does while executing)
    model.outputs.clear();
    const ids = data.display_ids ?? [];
    const shown = new Map<string, OutputItem[]>();
    data.outputs.forEach((output, i) => {
      model.outputs.add(output);
      const id = ids[i];
      if (id) {
        const items = shown.get(id) ?? [];
        items.push(model.outputs.get(model.outputs.length - 1));
        shown.set(id, items);
      }
    });
    if (shown.size) {
      this._displays.set(data.cell_id, shown);
    } else {
      this._displays.delete(data.cell_id);
    }
    model.executionCount = data.execution_count;
    if (model === this._marked) {
      model.executionState = 'idle';
      this._marked = null;
    }
  }

  /**
   * A display id's new content, from any request: what JupyterLab does for
   * the outputs of the cells it ran (`update_display_data`, and a
   * `display_data` or `execute_result` under an id it saw, replace every
   * output shown under that id, as `display_data`), for the outputs written
   * here, which its kernel connection never saw.  Messages come in order,
   * comm messages among them, so an `outputs` message is applied before an
   * update sent after it.
   */
  private _onIOPub(
    _: Kernel.IKernelConnection,
    msg: JupyterMessage.IIOPubMessage
  ): void {
    const type = msg.header.msg_type;
    if (
      !this._displays.size ||
      (type !== 'update_display_data' &&
        type !== 'display_data' &&
        type !== 'execute_result')
    ) {
      return;
    }
    const content = msg.content as IDisplayContent;
    const id = content.transient?.display_id;
    if (!id) {
      return;
    }
    const output: nbformat.IDisplayData = {
      output_type: 'display_data',
      data: content.data ?? {},
      metadata: content.metadata ?? {}
    };
    const wanted = JSON.stringify(output);
    for (const [cellId, shown] of this._displays) {
      const items = shown.get(id);
      if (!items) {
        continue;
      }
      const outputs = this._codeModel(cellId)?.outputs;
      const kept: OutputItem[] = [];
      for (const item of items) {
        // found by identity: outputs added or removed since move it
        let index = -1;
        for (let i = 0; outputs && i < outputs.length; i++) {
          if (outputs.get(i) === item) {
            index = i;
            break;
          }
        }
        if (!outputs || index < 0) {
          continue; // replaced since (the cell ran, or its output was cleared)
        }
        if (JSON.stringify(item.toJSON()) !== wanted) {
          outputs.set(index, output);
        }
        kept.push(outputs.get(index));
      }
      if (kept.length) {
        shown.set(id, kept);
      } else {
        shown.delete(id);
      }
      if (!shown.size) {
        this._displays.delete(cellId);
      }
    }
  }

  private _codeModel(cellId: string): ICodeCellModel | null {
    const cell = this.notebook.widgets.find(
      (widget: Cell) => widget.model.sharedModel.getId() === cellId
    );
    return cell && cell.model.type === 'code'
      ? (cell.model as ICodeCellModel)
      : null;
  }

  // -- the page: order, deletions, sources ---------------------------------------------
  private _watchCells(): void {
    const watch = () => {
      const model = this.notebook.model;
      if (model && model !== this._watched) {
        this._watched = model;
        model.cells.changed.connect(this._onCellsChanged, this);
        for (let i = 0; i < model.cells.length; i++) {
          this._trackEdits(model.cells.get(i).sharedModel);
        }
        this._onCellsChanged();
      }
    };
    this.notebook.modelChanged.connect(watch);
    watch();
  }

  /** Runs synchronously inside the cell list's change: deletions and the
   * order are on the wire before any execute_request the same user action
   * leads to.  A move is one change (a removal and an insertion of the same
   * id), so only cells really gone from the page are reported deleted. */
  private _onCellsChanged(): void {
    const model = this.notebook.model;
    const added: ISharedCell[] = [];
    if (model) {
      // new cells and moved ones (a move inserts a copy) have new models
      for (let i = 0; i < model.cells.length; i++) {
        const shared = model.cells.get(i).sharedModel;
        if (!this._tracked.has(shared)) {
          this._trackEdits(shared);
          this._edited.add(shared.getId());
          added.push(shared);
        }
      }
    }
    this._reportOrder();
    this._reportTags(added); // a moved cell's are sent already: not again
  }

  /** The page order and the cells gone from it, if they changed since the
   * kernel last heard of them. */
  private _reportOrder(): void {
    const order = this.pageOrder();
    if (!this._comm || this._comm.isDisposed) {
      return;
    }
    if (sameList(order, this._sentOrder)) {
      return;
    }
    const present = new Set(order);
    const gone = this._sentOrder.filter(id => !present.has(id));
    this._sentOrder = order;
    if (gone.length) {
      gone.forEach(id => {
        this._edited.delete(id);
        this._sentTags.delete(id); // one that comes back (undo) reports them again
      });
      this._send({ type: 'deleted', cells: gone });
    }
    this._send({ type: 'order', cells: order });
  }

  private _trackEdits(shared: ISharedCell): void {
    this._tracked.add(shared);
    shared.changed.connect(this._onCellChanged, this);
  }

  private _onCellChanged(shared: ISharedCell, change: CellChange): void {
    if (change.sourceChange) {
      this._edited.add(shared.getId());
    }
    if (change.metadataChange) {
      this._reportTags([shared]);
    }
  }

  /** The tags of these cells' code cells whose tags differ from what the
   * kernel last got, if any. */
  private _reportTags(cells: ISharedCell[]): void {
    if (!this._comm || this._comm.isDisposed) {
      return;
    }
    const changed: { [cellId: string]: string[] } = {};
    let any = false;
    for (const shared of cells) {
      if (shared.cell_type !== 'code') {
        continue;
      }
      const id = shared.getId();
      const tags = cellTags(shared.getMetadata('tags'));
      const sent = JSON.stringify(tags);
      if (this._sentTags.get(id) !== sent) {
        this._sentTags.set(id, sent);
        changed[id] = tags;
        any = true;
      }
    }
    if (any) {
      this._send({ type: 'tags', cells: changed });
    }
  }

  private _sharedCells(): ISharedCell[] {
    const model = this.notebook.model;
    const cells: ISharedCell[] = [];
    for (let i = 0; model && i < model.cells.length; i++) {
      cells.push(model.cells.get(i).sharedModel);
    }
    return cells;
  }

  /** A cell of this notebook is about to be sent for execution: first the
   * page order (a change the cell list reported before the new cell was in
   * it would be missed otherwise: the cell would run as the last one) and
   * the code edited since the last report and the tags that differ from
   * what the kernel has, so the kernel runs what is on screen, where it is,
   * and caches what is tagged. */
  private _onScheduled(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    if (this._marked && this._marked === args.cell.model) {
      this._marked = null; // JupyterLab's own `[*]` now, until its reply
    }
    if (args.notebook !== this.notebook || !this._comm) {
      return;
    }
    this._reportOrder();
    // JupyterLab's Cell Tags editor can change a cell's tags in place, with
    // no metadata change emitted: look at every code cell's before a run
    this._reportTags(this._sharedCells());
    if (!this._edited.size) {
      return;
    }
    const edited = this.pageOrder().filter(id => this._edited.has(id));
    this._edited.clear();
    if (edited.length) {
      this._send({ type: 'sources', cells: this._sources(edited) });
    }
  }

  /** The live code of these code cells. */
  private _sources(ids: string[]): { id: string; source: string }[] {
    const wanted = new Set(ids);
    const sources: { id: string; source: string }[] = [];
    const model = this.notebook.model;
    for (let i = 0; model && i < model.cells.length; i++) {
      const cell = model.cells.get(i);
      const id = cell.sharedModel.getId();
      if (cell.type === 'code' && wanted.has(id)) {
        sources.push({ id, source: cell.sharedModel.getSource() });
      }
    }
    return sources;
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
      status === 'dead' ||
      (status === 'starting' && this.notebook.hasClass(CONNECTED))
    ) {
      // `starting` after the kernel said hello (both on IOPub, in order):
      // another tab restarted the kernel and this one was not told
      // `restarting`; the new kernel has no comm
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

  /**
   * Back from a lost connection: the kernel may have closed the comm
   * meanwhile (it took this page for gone) without the close reaching here,
   * and would ignore what is sent on it: open a new one.
   */
  private _onConnection(
    _: ISessionContext,
    status: Kernel.ConnectionStatus
  ): void {
    const comm = this._comm;
    if (status !== 'connected') {
      this._lost ||= comm !== null;
      return;
    }
    const lost = this._lost;
    this._lost = false;
    if (!lost || !comm) {
      return;
    }
    this._forgetComm();
    try {
      comm.close();
    } catch {
      // already gone
    }
    void this._connect(true);
  }

  private _comm: Kernel.IComm | null = null;
  /** The connection was lost while the comm was open. */
  private _lost = false;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _disposed = false;
  private _nextId = 0;
  private _sentOrder: string[] = [];
  /** Cells whose code changed since the kernel last got it. */
  private _edited = new Set<string>();
  /** Per code cell, the tags the kernel last got (as JSON). */
  private _sentTags = new Map<string, string>();
  private _tracked = new WeakSet<ISharedCell>();
  /**
   * Outputs written here that were shown under a display id: per cell, per
   * display id, the output items (the cell's next `outputs` replaces its entry).
   */
  private _displays = new Map<string, Map<string, OutputItem[]>>();
  private _running: IRunningMessage | null = null;
  /** The cell whose `[*]` the companion set for `_running`, if it still holds it. */
  private _marked: ICodeCellModel | null = null;
  private _runningChanged = new Signal<this, IRunningMessage | null>(this);
  private _state: IStateMessage | null = null;
  /** The `version` of the state held (null: none, or a kernel without versions). */
  private _version: number | null = null;
  private _stateChanged = new Signal<this, IStateMessage | null>(this);
  private _waiting = new Map<number, (data: KernelMessage | null) => void>();
  private _watched: unknown = null;
}

/**
 * Page changes go on the main shell, as the execute requests do: JupyterLab
 * 4.4+ sends a comm's messages on a kernel subshell (its own thread in
 * ipykernel 7), where the order or tags sent right before a cell's request
 * could be handled after that request was planned.  On the main shell they
 * arrive in the order sent.
 */
function onMainShell(comm: Kernel.IComm): void {
  // the property and its enum exist from @jupyterlab/services 7.4 on
  const handler = comm as unknown as { commsOverSubshells?: string };
  if (handler.commsOverSubshells !== undefined) {
    handler.commsOverSubshells = 'disabled';
  }
}

/** `metadata.tags` as the kernel reads it: a list of strings, else none. */
function cellTags(value: unknown): string[] {
  return Array.isArray(value) && value.every(tag => typeof tag === 'string')
    ? [...value].sort()
    : [];
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

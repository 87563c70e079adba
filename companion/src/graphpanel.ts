import { Notebook } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

import { ReactiveConnection } from './connection';
import { IGraphMessage } from './protocol';

cytoscape.use(dagre);

/** Colours come from the theme's CSS variables, read when the graph is drawn. */
function themeColor(
  node: HTMLElement,
  variable: string,
  fallback: string
): string {
  const value = getComputedStyle(node).getPropertyValue(variable).trim();
  return value || fallback;
}

/**
 * The dependency graph of the current notebook: cells as nodes (top to
 * bottom in notebook order), data edges labelled with the names they carry.
 * Laid out by dagre, drawn by cytoscape; clicking a cell goes to it.
 */
export class GraphPanel extends Widget {
  constructor() {
    super();
    this.id = 'reactive-kernel-graph';
    this.addClass('rk-GraphPanel');
    this.title.caption = 'Reactive dependency graph';
    this.title.label = 'Dependencies';
    this._header = document.createElement('div');
    this._header.className = 'rk-GraphPanel-header';
    this._canvas = document.createElement('div');
    this._canvas.className = 'rk-GraphPanel-canvas';
    this.node.append(this._header, this._canvas);
    // redraw in the new theme's colours
    this._themeWatch = new MutationObserver(() => this._refresh());
    this._themeWatch.observe(document.body, {
      attributeFilter: ['data-jp-theme-name']
    });
  }

  dispose(): void {
    this._themeWatch.disconnect();
    super.dispose();
  }

  /** Show the graph of this notebook (null: no notebook). */
  follow(
    notebook: Notebook | null,
    connection: ReactiveConnection | null
  ): void {
    this._connection?.stateChanged.disconnect(this._refresh, this);
    this._notebook = notebook;
    this._connection = connection;
    connection?.stateChanged.connect(this._refresh, this);
    this._refresh();
  }

  protected onAfterShow(msg: Message): void {
    this._refresh();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._cy?.resize();
    this._cy?.fit(undefined, 20);
  }

  protected onBeforeDetach(msg: Message): void {
    this._cy?.destroy();
    this._cy = null;
  }

  private _refresh(): void {
    if (!this.isVisible) {
      return;
    }
    const connection = this._connection;
    if (!connection || !connection.connected) {
      this._draw(null);
      return;
    }
    const ticket = ++this._ticket;
    void connection.graph().then(graph => {
      if (ticket === this._ticket) {
        this._draw(graph);
      }
    });
  }

  private _draw(graph: IGraphMessage | null): void {
    this._cy?.destroy();
    this._cy = null;
    if (!graph) {
      this._header.textContent = 'Open a notebook running the reactive kernel.';
      this.node.dataset.cells = '0';
      return;
    }
    const n = graph.nodes.length;
    this._header.textContent = n
      ? `${n} cell${n === 1 ? '' : 's'}, ${graph.edges.length} dependenc${graph.edges.length === 1 ? 'y' : 'ies'}; order: ${graph.order}`
      : 'No cell has run yet.';
    this.node.dataset.cells = String(n);
    const root = this.node;
    this._legend(n > 0);
    const fg = themeColor(root, '--jp-ui-font-color1', '#222');
    const muted = themeColor(root, '--jp-ui-font-color2', '#666');
    const bg = themeColor(root, '--jp-layout-color2', '#eee');
    const line = themeColor(root, '--jp-border-color1', '#999');
    const colours: { [state: string]: string } = {
      stale: themeColor(root, '--jp-warn-color1', '#f57c00'),
      'failed-upstream': themeColor(root, '--jp-warn-color1', '#f57c00'),
      cancelled: themeColor(root, '--jp-warn-color1', '#f57c00'),
      failed: themeColor(root, '--jp-error-color1', '#d32f2f'),
      reran: themeColor(root, '--jp-brand-color1', '#1976d2'),
      ran: themeColor(root, '--jp-success-color1', '#388e3c'),
      unrun: muted
    };
    const focus = this._notebook?.activeCell?.model.sharedModel.getId();
    this._cy = cytoscape({
      container: this._canvas,
      elements: [
        ...graph.nodes.map(node => ({
          data: {
            id: node.id,
            label: `[${node.prompt ?? ' '}] ${node.label}`,
            colour: colours[node.state] ?? muted,
            state: node.state
          },
          classes: node.id === focus ? 'focus' : ''
        })),
        ...graph.edges.map(edge => ({
          data: {
            id: `${edge.source}->${edge.target}`,
            source: edge.source,
            target: edge.target,
            label: edge.names.join(', ')
          }
        }))
      ],
      style: [
        {
          selector: 'node',
          style: {
            shape: 'round-rectangle',
            'background-color': bg,
            'border-width': 2,
            'border-color': 'data(colour)',
            label: 'data(label)',
            color: fg,
            'font-size': 12,
            'text-valign': 'center',
            'text-halign': 'center',
            width: 'label',
            height: 24,
            padding: '8px'
          }
        },
        { selector: 'node.focus', style: { 'border-width': 4 } },
        {
          selector: 'edge',
          style: {
            width: 1.5,
            'curve-style': 'bezier',
            'line-color': line,
            'target-arrow-color': line,
            'target-arrow-shape': 'triangle',
            label: 'data(label)',
            color: muted,
            'font-size': 11,
            'text-background-color': themeColor(
              root,
              '--jp-layout-color1',
              '#fff'
            ),
            'text-background-opacity': 1,
            'text-background-padding': '2px'
          }
        }
      ],
      layout: {
        name: 'dagre',
        rankDir: 'TB',
        nodeSep: 30,
        rankSep: 50,
        fit: true,
        padding: 20
      } as cytoscape.LayoutOptions,
      wheelSensitivity: 0.3
    });
    this._cy.on('tap', 'node', event => this._goTo(event.target.id()));
  }

  /** What the border colours mean. */
  private _legend(show: boolean): void {
    const legend = document.createElement('div');
    legend.className = 'rk-GraphPanel-legend';
    if (show) {
      for (const [state, text] of [
        ['ran', 'ran'],
        ['reran', 'reran'],
        ['stale', 'stale'],
        ['failed', 'failed']
      ]) {
        const item = document.createElement('span');
        item.className = 'rk-GraphPanel-key';
        item.dataset.state = state;
        item.textContent = text;
        legend.appendChild(item);
      }
    }
    this._header.appendChild(legend);
  }

  private _goTo(cellId: string): void {
    const notebook = this._notebook;
    if (!notebook) {
      return;
    }
    const index = notebook.widgets.findIndex(
      cell => cell.model.sharedModel.getId() === cellId
    );
    if (index >= 0) {
      notebook.activeCellIndex = index;
      void notebook.scrollToItem(index);
    }
  }

  private _canvas: HTMLElement;
  private _connection: ReactiveConnection | null = null;
  private _cy: cytoscape.Core | null = null;
  private _header: HTMLElement;
  private _notebook: Notebook | null = null;
  private _themeWatch: MutationObserver;
  private _ticket = 0;
}

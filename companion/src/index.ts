/**
 * The reactive-kernel companion for JupyterLab 4 and Notebook 7.
 *
 * The kernel works without it; with it, the kernel learns the live page
 * order and the notebook shows what the kernel knows: stale and rerun cells,
 * the cells a cell depends on and feeds, and the dependency graph.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  CommandToolbarButton,
  ICommandPalette,
  ISessionContextDialogs
} from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { fastForwardIcon, LabIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { CellDecorations } from './badges';
import { ReactiveConnection } from './connection';
import { GraphPanel } from './graphpanel';
import { hasStaleCells, runStaleCells } from './runstale';

export const RUN_STALE = 'reactive-kernel:run-stale';
export const SHOW_GRAPH = 'reactive-kernel:show-graph';

const graphIcon = new LabIcon({
  name: 'reactive-kernel:graph',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
    '<g class="jp-icon3" fill="#616161" stroke="#616161">' +
    '<circle cx="8" cy="2.5" r="2" stroke="none"/><circle cx="3" cy="13.5" r="2" stroke="none"/>' +
    '<circle cx="13" cy="13.5" r="2" stroke="none"/>' +
    '<path d="M7 4 L3.6 11.7 M9 4 L12.4 11.7 M5 13.5 H11" fill="none" stroke-width="1.2"/></g></svg>'
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'reactive-kernel-companion:plugin',
  description:
    'Live notebook order, stale badges and the dependency graph for reactive-kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISessionContextDialogs, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    dialogs: ISessionContextDialogs | null,
    translator: ITranslator | null
  ) => {
    const connections = new WeakMap<NotebookPanel, ReactiveConnection>();
    const graph = new GraphPanel();
    graph.title.icon = graphIcon;

    tracker.widgetAdded.connect((_, panel) => {
      const connection = new ReactiveConnection(
        panel.content,
        panel.sessionContext
      );
      const decorations = new CellDecorations(panel.content, connection);
      connections.set(panel, connection);
      connection.stateChanged.connect(() =>
        app.commands.notifyCommandChanged(RUN_STALE)
      );
      panel.disposed.connect(() => {
        decorations.dispose();
        connection.dispose();
      });
      if (tracker.currentWidget === panel) {
        graph.follow(panel.content, connection);
      }
    });
    tracker.currentChanged.connect((_, panel) => {
      graph.follow(
        panel?.content ?? null,
        panel ? (connections.get(panel) ?? null) : null
      );
      app.commands.notifyCommandChanged(RUN_STALE);
    });
    tracker.activeCellChanged.connect(() => {
      if (graph.isVisible) {
        const panel = tracker.currentWidget;
        graph.follow(
          panel?.content ?? null,
          panel ? (connections.get(panel) ?? null) : null
        );
      }
    });

    app.commands.addCommand(RUN_STALE, {
      label: 'Run stale cells',
      caption: 'Run the cells whose output is out of date (reactive kernel)',
      icon: fastForwardIcon,
      isEnabled: () => {
        const panel = tracker.currentWidget;
        return !!panel && hasStaleCells(connections.get(panel));
      },
      execute: async () => {
        const panel = tracker.currentWidget;
        const connection = panel ? connections.get(panel) : undefined;
        if (panel && connection) {
          return runStaleCells(
            panel,
            connection,
            dialogs ?? undefined,
            translator ?? undefined
          );
        }
        return 0;
      }
    });
    app.commands.addCommand(SHOW_GRAPH, {
      label: 'Show dependency graph',
      caption:
        'The cells of this notebook and the names they pass on (reactive kernel)',
      icon: graphIcon,
      execute: () => {
        if (!graph.isAttached) {
          app.shell.add(graph, 'right', { rank: 900 });
        }
        app.shell.activateById(graph.id);
        const panel = tracker.currentWidget;
        graph.follow(
          panel?.content ?? null,
          panel ? (connections.get(panel) ?? null) : null
        );
      }
    });
    if (palette) {
      palette.addItem({ command: RUN_STALE, category: 'Reactive kernel' });
      palette.addItem({ command: SHOW_GRAPH, category: 'Reactive kernel' });
    }
    app.docRegistry.addWidgetExtension('Notebook', new ToolbarButtons(app));
  }
};

/** "Run stale cells" and "Dependencies" in every notebook's toolbar. */
class ToolbarButtons implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(private app: JupyterFrontEnd) {}

  createNew(panel: NotebookPanel): IDisposable {
    const commands = this.app.commands;
    const buttons = [
      new CommandToolbarButton({ commands, id: RUN_STALE, label: 'Run stale' }),
      new CommandToolbarButton({ commands, id: SHOW_GRAPH, label: '' })
    ];
    buttons.forEach((button, i) => {
      const name = i === 0 ? 'reactive-run-stale' : 'reactive-graph';
      if (
        !panel.toolbar.insertAfter(
          i === 0 ? 'cellType' : 'reactive-run-stale',
          name,
          button
        )
      ) {
        panel.toolbar.addItem(name, button);
      }
    });
    return new DisposableDelegate(() =>
      buttons.forEach(button => button.dispose())
    );
  }
}

export default plugin;

// VS Code client for the Duet language server (`duet lsp`, spoken over stdio).

import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;

/** Expands `~` and `${workspaceFolder}`, and resolves a relative path against the first workspace folder. */
export function resolveServerPath(raw: string, workspaceFolder: string | undefined): string {
  let p = raw.trim() || 'duet';
  if (workspaceFolder !== undefined) {
    p = p.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (p === '~' || p.startsWith('~/')) {
    p = path.join(os.homedir(), p.slice(1));
  }
  // A bare command name ("duet") is looked up on PATH; only paths with a separator are resolved.
  const hasSeparator = p.includes('/') || p.includes('\\');
  if (hasSeparator && !path.isAbsolute(p) && workspaceFolder !== undefined) {
    p = path.resolve(workspaceFolder, p);
  }
  return p;
}

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration('duet');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = resolveServerPath(config.get<string>('serverPath', 'duet'), folder);
  const args = config.get<string[]>('serverArgs', ['lsp']);
  // No `transport` field: vscode-languageclient would append `--stdio` to the arguments,
  // while `duet lsp` already speaks LSP on stdin/stdout.
  const executable: Executable = {
    command,
    args,
    options: folder !== undefined ? { cwd: folder } : undefined,
  };
  return { run: executable, debug: executable };
}

async function startClient(): Promise<void> {
  if (outputChannel === undefined) {
    outputChannel = vscode.window.createOutputChannel('Duet Language Server');
  }
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'duet' },
      { scheme: 'untitled', language: 'duet' },
    ],
    outputChannel,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{duet,lisp}'),
    },
  };
  // The id `duet` makes the client honour the `duet.trace.server` setting.
  const newClient = new LanguageClient('duet', 'Duet Language Server', serverOptions(), clientOptions);
  client = newClient;
  try {
    await newClient.start();
  } catch (err) {
    client = undefined;
    const command = vscode.workspace.getConfiguration('duet').get<string>('serverPath', 'duet');
    const message = err instanceof Error ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `Duet: could not start the language server with "${command} lsp" (${message}). ` +
        'Install duet or set "duet.serverPath".',
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'duet.serverPath');
    }
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch {
      // The server may already be gone; nothing left to do.
    }
  }
}

async function restartClient(): Promise<void> {
  await stopClient();
  await startClient();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('duet.restartServer', restartClient),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('duet.serverPath') || event.affectsConfiguration('duet.serverArgs')) {
        await restartClient();
      }
    }),
    { dispose: () => void stopClient() },
  );
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
  outputChannel?.dispose();
  outputChannel = undefined;
}

/**
 * One WebSocket per browser tab to the extension, subscribed to every project. It
 * reconnects with exponential backoff when the server goes away (a restart), and says
 * whether it is online, so the panel can show it.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { API_PATH } from './client';
import { ClientMessage, parseServerMessage, ServerMessage } from './messages';

export const FIRST_RETRY_MS = 500;
export const MAX_RETRY_MS = 15000;

/** The delay before reconnect attempt `attempt` (0-based): doubling, capped. */
export function retryDelay(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
}

/** What the model needs of the socket; `ProjectsSocket` is the real one. */
export interface IProjectsSocket {
  readonly online: boolean;
  readonly messageReceived: ISignal<IProjectsSocket, ServerMessage>;
  readonly onlineChanged: ISignal<IProjectsSocket, boolean>;
  send(message: ClientMessage): boolean;
  dispose(): void;
}

export class ProjectsSocket implements IProjectsSocket {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._connect();
  }

  get online(): boolean {
    return this._online;
  }

  get messageReceived(): ISignal<this, ServerMessage> {
    return this._messageReceived;
  }

  get onlineChanged(): ISignal<this, boolean> {
    return this._onlineChanged;
  }

  /** Send a message; false when the socket is not open (the caller says so). */
  send(message: ClientMessage): boolean {
    if (!this._socket || this._socket.readyState !== WebSocket.OPEN) {
      return false;
    }
    this._socket.send(JSON.stringify(message));
    return true;
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== undefined) {
      clearTimeout(this._timer);
    }
    this._socket?.close();
    Signal.clearData(this);
  }

  private _url(): string {
    let url = URLExt.join(this.settings.wsUrl, API_PATH, 'ws');
    const token = this.settings.token;
    if (this.settings.appendToken && token) {
      url += `?token=${encodeURIComponent(token)}`;
    }
    return url;
  }

  private _connect(): void {
    if (this._disposed) {
      return;
    }
    const socket = new this.settings.WebSocket(this._url());
    this._socket = socket;
    socket.onopen = () => {
      this._attempt = 0;
      socket.send(JSON.stringify({ type: 'subscribe', project_ids: '*' }));
      this._setOnline(true);
    };
    socket.onmessage = event => {
      const message = parseServerMessage(String(event.data));
      if (message) {
        this._messageReceived.emit(message);
      }
    };
    socket.onclose = () => {
      this._setOnline(false);
      if (!this._disposed) {
        this._timer = setTimeout(() => this._connect(), retryDelay(this._attempt++));
      }
    };
  }

  private _setOnline(online: boolean): void {
    if (online !== this._online) {
      this._online = online;
      this._onlineChanged.emit(online);
    }
  }

  private _socket: WebSocket | null = null;
  private _online = false;
  private _attempt = 0;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _messageReceived = new Signal<this, ServerMessage>(this);
  private _onlineChanged = new Signal<this, boolean>(this);
}

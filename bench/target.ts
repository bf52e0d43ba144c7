// What the load scenarios need from a running hub, whichever hub it is.

export interface FillOptions {
  /** API tokens with this note are deleted first (e.g. those the token-creation load made). */
  removeNote: string;
  log: (msg: string) => void;
}

export interface Target {
  /** 'tshub' or 'jupyterhub'; prefixes the comparison figures. */
  readonly name: string;
  /** The hub's own API root (not through a proxy), ending in '/': http://127.0.0.1:PORT/hub/api/ */
  readonly apiUrl: string;
  /** A token from the config file, mapped to the admin user. */
  readonly configToken: string;
  /** The hub process (changes when the hub is restarted). */
  pid(): number;
  /** The last lines the hub process wrote. */
  outputTail(): string;
  /** Rows in the api_tokens table. */
  countTokens(): number;
  /**
   * Adds `count` user API tokens spread over existing users straight into the database, the fastest way the
   * hub allows (tshub: while stopped, then restarted). Returns the secret values.
   */
  fillTokens(count: number, opts: FillOptions): Promise<string[]>;
  /** Inserts users (as the API would create them) straight into the database; JupyterHub only. */
  insertUsers?(names: string[]): Promise<void>;
  stop(): Promise<void>;
}

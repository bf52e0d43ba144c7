import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * jupyterhub-singleuser runs jupyter-server's app whenever jupyter-server is installed, and that app has no
 * web pages of its own: without JupyterLab, nbclassic or Notebook 7 (jupyter-server extensions), a user who
 * presses Start lands on a 404. Debian's jupyterhub installs exactly that combination next to the classic
 * Notebook 6, so for such a Python this picks Notebook 6's app, as its docs tell admins to do by hand. Any
 * other installation, or a JUPYTERHUB_SINGLEUSER_APP the admin set, is left alone.
 */
const PROBE = `
import importlib.util as u
def has(m):
    try:
        return u.find_spec(m) is not None
    except Exception:
        return False
if has("jupyter_server") and not (has("jupyterlab") or has("nbclassic") or has("notebook.app")) and has("notebook.notebookapp"):
    print("notebook.notebookapp.NotebookApp")
`;

const NOTEBOOK_APP = 'notebook.notebookapp.NotebookApp';

/** The interpreter of a script's `#!` line (`/usr/bin/python3`, or `/usr/bin/env python3`), or null. */
export function interpreterOf(script: string): string[] | null {
  let head = '';
  try {
    const fd = openSync(script, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith('#!')) return null;
  const words = head.slice(2).split('\n', 1)[0]!.trim().split(/\s+/);
  return words.length && words[0] ? words : null;
}

// One probe per interpreter for the hub's life: the answer only changes when packages are installed.
const answers = new Map<string, Promise<string | null>>();

/** The app jupyterhub-singleuser should run with this script's Python (see above), or null for its own choice. */
export function singleuserAppFor(script: string): Promise<string | null> {
  const interpreter = interpreterOf(script);
  if (!interpreter || !/python/.test(interpreter.join(' '))) return Promise.resolve(null);
  const key = interpreter.join(' ');
  let answer = answers.get(key);
  if (!answer) {
    answer = new Promise((resolve) => {
      const [cmd, ...args] = interpreter;
      execFile(cmd!, [...args, '-c', PROBE], { timeout: 20_000 }, (err, stdout) =>
        resolve(!err && stdout.trim() === NOTEBOOK_APP ? NOTEBOOK_APP : null),
      );
    });
    answers.set(key, answer);
  }
  return answer;
}

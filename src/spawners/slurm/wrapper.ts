import type { SlurmConfig } from '../../config/schema-slurm.ts';
import { shellWord } from './template.ts';

/**
 * Our stand-in for batchspawner-singleuser, run on the job's node with the server command as its
 * arguments: it picks a free port there, reports it to the hub (POST {JUPYTERHUB_API_URL}/batchspawner
 * with the server's token), puts it into JUPYTERHUB_SERVICE_URL and becomes the server. Python's
 * standard library only, since the node has Python wherever jupyterhub-singleuser runs; no braces, so
 * no template syntax can touch it.
 */
const OWN_WRAPPER = `import json, os, shutil, socket, sys, urllib.parse, urllib.request
argv = sys.argv[1:]
exe = shutil.which(argv[0]) if argv else None
if exe is None:
    sys.exit("%s: No such file or directory" % (argv[0] if argv else "no server command"))
sock = socket.socket()
sock.bind(("", 0))
port = sock.getsockname()[1]
sock.close()
env = os.environ
headers = dict(Authorization="token " + env["JUPYTERHUB_API_TOKEN"])
headers["Content-Type"] = "application/json"
report = urllib.request.Request(env["JUPYTERHUB_API_URL"].rstrip("/") + "/batchspawner",
                                json.dumps(dict(port=port)).encode(), headers, method="POST")
urllib.request.urlopen(report, timeout=60).close()
url = urllib.parse.urlsplit(env["JUPYTERHUB_SERVICE_URL"])
host = url.hostname or "0.0.0.0"
host = "[" + host + "]" if ":" in host else host
env["JUPYTERHUB_SERVICE_URL"] = urllib.parse.urlunsplit(url._replace(netloc=host + ":" + str(port)))
os.execv(exe, argv)
`;

/** The shell words put before the server command in the job script: the configured wrapper, or ours. */
export function wrapperWords(slurm: Pick<SlurmConfig, 'batchspawner_singleuser_cmd'>): string {
  return slurm.batchspawner_singleuser_cmd ?? `python3 -c ${shellWord(OWN_WRAPPER)}`;
}

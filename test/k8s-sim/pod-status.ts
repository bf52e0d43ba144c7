// Edits of a pod's status as the kubelet reports it: conditions (with lastTransitionTime kept while the
// status stays), containerStatuses with waiting / running / terminated states, and the phase they imply.
import { randomBytes } from 'node:crypto';
import { now, type Obj } from './store.ts';

export function podStatus(p: Obj) {
  p.status ??= {};
  const st = p.status;
  const containers: Obj[] = p.spec.containers;

  const fresh = (x: Obj) => ({
    name: x.name,
    image: x.image,
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
  });
  /** The status entry of `c`: init containers (marked `isInit` by the kubelet) have their own list. */
  const entry = (c: Obj): Obj => {
    if (c.isInit) {
      st.initContainerStatuses ??= (p.spec.initContainers ?? []).map(fresh);
      return st.initContainerStatuses.find((s: Obj) => s.name === c.name);
    }
    st.containerStatuses ??= containers.map(fresh);
    return st.containerStatuses.find((s: Obj) => s.name === c.name);
  };

  const self = {
    condition(type: string, status: 'True' | 'False', reason?: string, message?: string): void {
      st.conditions ??= [];
      const old = st.conditions.find((x: Obj) => x.type === type);
      const cond: Record<string, unknown> = {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now(),
      };
      if (reason) cond.reason = reason;
      if (message) cond.message = message;
      if (old) st.conditions[st.conditions.indexOf(old)] = cond;
      else st.conditions.push(cond);
    },

    /** The kubelet has the pod's sandbox: its start time, the node's address and the pod's own. */
    started(podIP: string): void {
      st.startTime ??= now();
      st.hostIP = '127.0.0.1';
      st.hostIPs = [{ ip: '127.0.0.1' }];
      st.podIP = podIP;
      st.podIPs = [{ ip: podIP }];
    },

    waiting(c: Obj, reason: string, message?: string): void {
      const s = entry(c);
      s.state = { waiting: message ? { reason, message } : { reason } };
      s.ready = false;
      s.started = false;
      self.updateReady();
    },

    running(c: Obj, restarts: number): void {
      const s = entry(c);
      s.state = { running: { startedAt: now() } };
      s.containerID = `containerd://${randomBytes(32).toString('hex')}`;
      s.imageID = `sim/${c.image}`;
      s.started = true;
      s.restartCount = restarts;
      // An init container is never "ready"; it has to finish.
      if (c.isInit) return;
      s.ready = true;
      if (st.containerStatuses.every((x: Obj) => x.state.running || x.restartCount > 0 || x.lastState.terminated))
        st.phase = 'Running';
      self.updateReady();
    },

    terminated(c: Obj, exitCode: number, reason: string, message?: string): void {
      const s = entry(c);
      const term: Record<string, unknown> = {
        exitCode,
        reason,
        startedAt: s.state.running?.startedAt ?? null,
        finishedAt: now(),
        containerID: s.containerID,
      };
      if (message) term.message = message;
      s.state = { terminated: term };
      s.ready = false;
      s.started = false;
      if (c.isInit) return;
      if (st.containerStatuses.every((x: Obj) => x.state.terminated)) {
        const ok = st.containerStatuses.every((x: Obj) => x.state.terminated.exitCode === 0);
        st.phase = ok ? 'Succeeded' : 'Failed';
        const why = ok ? 'PodCompleted' : 'PodFailed';
        self.condition('Ready', 'False', why);
        self.condition('ContainersReady', 'False', why);
        self.condition('PodReadyToStartContainers', 'False');
        return;
      }
      self.updateReady();
    },

    /** A container that exited and will be started again after `message`'s back-off. */
    crashLoop(c: Obj, exitCode: number, reason: string, message: string): void {
      const s = entry(c);
      s.lastState = {
        terminated: {
          exitCode,
          reason,
          startedAt: s.state.running?.startedAt ?? null,
          finishedAt: now(),
          containerID: s.containerID,
        },
      };
      s.state = { waiting: { reason: 'CrashLoopBackOff', message } };
      s.ready = false;
      s.started = false;
      self.updateReady();
    },

    /** Init containers still to finish, as the Initialized condition says. */
    initializing(names: string[]): void {
      self.condition(
        'Initialized',
        'False',
        'ContainersNotInitialized',
        `containers with incomplete status: [${names.join(' ')}]`,
      );
    },

    /** An init container failed under restartPolicy Never: the whole pod has failed. */
    failed(): void {
      st.phase = 'Failed';
      self.condition('Ready', 'False', 'PodFailed');
      self.condition('ContainersReady', 'False', 'PodFailed');
    },

    updateReady(): void {
      const unready = (st.containerStatuses ?? []).filter((x: Obj) => !x.ready).map((x: Obj) => x.name);
      if (unready.length === 0 && st.containerStatuses) {
        self.condition('ContainersReady', 'True');
        self.condition('Ready', 'True');
      } else {
        const msg = `containers with unready status: [${(unready.length ? unready : containers.map((x) => x.name)).join(' ')}]`;
        self.condition('ContainersReady', 'False', 'ContainersNotReady', msg);
        self.condition('Ready', 'False', 'ContainersNotReady', msg);
      }
    },
  };
  return self;
}

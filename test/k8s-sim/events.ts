// core/v1 Events about pods, recorded as the scheduler and the kubelet record them: a repeat of the same
// reason and message for the same object bumps `count` and `lastTimestamp` instead of adding an event.
import { randomBytes } from 'node:crypto';
import { NODE_NAME } from './scheduler.ts';
import { now, type Obj, type Store } from './store.ts';

export type Component = 'kubelet' | 'default-scheduler' | 'persistentvolume-controller';

export class EventRecorder {
  /** Aggregation key → event name, to find the event a repeat belongs to. */
  private readonly names = new Map<string, string>();

  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  record(
    involved: Obj,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: Component,
    fieldPath?: string,
  ): void {
    const m = involved.metadata;
    if (!this.store.get('namespaces', undefined, m.namespace)) return;
    const key = `${m.uid}\0${reason}\0${message}\0${fieldPath ?? ''}`;
    const existing = this.names.get(key);
    const ts = now();
    if (existing && this.store.get('events', m.namespace, existing)) {
      this.store.modify('events', m.namespace, existing, (e) => ({ ...e, count: e.count + 1, lastTimestamp: ts }));
      return;
    }
    const name = `${m.name}.${randomBytes(8).toString('hex')}`;
    this.names.set(key, name);
    const involvedObject: Record<string, unknown> = {
      kind: involved.kind,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      apiVersion: 'v1',
      resourceVersion: m.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    this.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: m.namespace },
      involvedObject,
      reason,
      message,
      source: component === 'kubelet' ? { component, host: NODE_NAME } : { component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? NODE_NAME : '',
    });
  }
}

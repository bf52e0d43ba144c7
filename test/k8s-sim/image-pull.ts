// The kubelet's image pulls against the simulator's "registry" (the `images` option): what it records for a
// pull, a cached image, a pull that fails (ErrImagePull, then ImagePullBackOff) and `imagePullPolicy: Never`.
import { findImage, type ImageSpec } from './containers.ts';
import type { EventRecorder } from './events.ts';
import type { Obj } from './store.ts';

export type PullResult = { ok: true } | { ok: false; reason: 'ErrImagePull' | 'ErrImageNeverPull'; message: string };

export class ImagePuller {
  private readonly pulled = new Set<string>();
  private readonly images: Record<string, ImageSpec> | undefined;
  private readonly events: EventRecorder;

  constructor(images: Record<string, ImageSpec> | undefined, events: EventRecorder) {
    this.images = images;
    this.events = events;
  }

  /** An image named `bad/…` never pulls; with an `images` list, neither does any image not in it. */
  private pullable(image: string): boolean {
    if (image.startsWith('bad/')) return false;
    return this.images === undefined || findImage(this.images, image) !== undefined;
  }

  pull(pod: Obj, c: Obj, path: string): PullResult {
    if (this.pulled.has(c.image) && c.imagePullPolicy !== 'Always') {
      const msg = `Container image "${c.image}" already present on machine`;
      this.events.record(pod, 'Normal', 'Pulled', msg, 'kubelet', path);
      return { ok: true };
    }
    if (c.imagePullPolicy === 'Never') {
      const message = `Container image "${c.image}" is not present with pull policy of Never`;
      this.events.record(pod, 'Warning', 'ErrImageNeverPull', message, 'kubelet', path);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, 'kubelet', path);
    if (!this.pullable(c.image)) {
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found in the simulator's registry`;
      this.events.record(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${message}`, 'kubelet', path);
      this.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', path);
      return { ok: false, reason: 'ErrImagePull', message };
    }
    this.pulled.add(c.image);
    const took = 'in 1ms (1ms including waiting). Image size: 0 bytes.';
    this.events.record(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" ${took}`, 'kubelet', path);
    return { ok: true };
  }

  /** After a failed pull: the back-off events; returns the waiting message (ImagePullBackOff). */
  backOff(pod: Obj, c: Obj, path: string): string {
    const msg = `Back-off pulling image "${c.image}"`;
    this.events.record(pod, 'Normal', 'BackOff', msg, 'kubelet', path);
    this.events.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', path);
    return msg;
  }
}

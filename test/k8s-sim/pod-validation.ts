// A pod's spec as the API server validates it: containers (names, images, ports, resource quantities with
// requests within limits, env names, mounts of declared volumes), volumes and the restart policy. Quantities
// that do not parse are a 400 (the server cannot even decode the object), the rest are 422 causes.
import { LABEL, LABEL_MSG, quote } from './names.ts';
import { parseQuantity } from './scheduler.ts';
import { badRequest, cause, type StatusCause } from './status.ts';
import type { Obj } from './store.ts';

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

function resourceCauses(c: Obj, at: string, out: StatusCause[]): void {
  const { requests = {}, limits = {} } = c.resources ?? {};
  for (const [kind, values] of [
    ['requests', requests],
    ['limits', limits],
  ] as const)
    for (const v of Object.values(values as Record<string, unknown>))
      if (!QUANTITY.test(String(v)) || Number.isNaN(parseQuantity(String(v))))
        throw badRequest(
          `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (${kind}: ${quote(v)})`,
        );
  for (const [name, want] of Object.entries(requests as Record<string, string>)) {
    const limit = (limits as Record<string, string>)[name];
    if (limit !== undefined && parseQuantity(want) > parseQuantity(limit))
      out.push(
        cause(
          `${at}.resources.requests`,
          `Invalid value: ${quote(want)}: must be less than or equal to ${name} limit of ${limit}`,
        ),
      );
  }
}

const goType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** A field of the wrong JSON type is a 400: the server cannot decode the object at all. */
function decodeError(field: string, value: unknown, want: string): Error {
  return badRequest(
    `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ${goType(value)} into Go struct field ${field} of type ${want}`,
  );
}

/** The shapes the rest of the simulator relies on (lists are lists, objects are objects), before defaulting. */
export function checkShapes(spec: Obj): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw decodeError('Pod.spec', spec, 'v1.PodSpec');
  for (const key of ['containers', 'initContainers', 'volumes', 'tolerations'])
    if (spec[key] !== undefined && !Array.isArray(spec[key]))
      throw decodeError(`PodSpec.spec.${key}`, spec[key], '[]v1.Object');
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw decodeError('PodSpec.spec.containers', c, 'v1.Container');
    for (const key of ['command', 'args', 'env', 'envFrom', 'ports', 'volumeMounts'])
      if (c[key] !== undefined && !Array.isArray(c[key]))
        throw decodeError(`Container.spec.containers.${key}`, c[key], '[]string');
    for (const key of ['command', 'args'])
      for (const a of c[key] ?? [])
        if (typeof a !== 'string') throw decodeError(`Container.spec.containers.${key}`, a, 'string');
  }
}

export function podCauses(pod: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    out.push(cause('spec.containers', 'Required value', 'FieldValueRequired'));
    return out;
  }
  const volumes = new Set<string>();
  for (const [i, v] of ((pod.spec.volumes ?? []) as Obj[]).entries()) {
    const at = `spec.volumes[${i}].name`;
    if (!v.name) out.push(cause(at, 'Required value', 'FieldValueRequired'));
    else if (!LABEL.test(v.name)) out.push(cause(at, `Invalid value: ${quote(v.name)}: ${LABEL_MSG}`));
    else if (volumes.has(v.name)) out.push(cause(at, `Duplicate value: ${quote(v.name)}`, 'FieldValueDuplicate'));
    volumes.add(v.name);
  }
  const seen = new Set<string>();
  const check = (list: Obj[], field: string) =>
    list.forEach((c, i) => {
      const at = `${field}[${i}]`;
      if (!c.name) out.push(cause(`${at}.name`, 'Required value', 'FieldValueRequired'));
      else if (!LABEL.test(c.name)) out.push(cause(`${at}.name`, `Invalid value: ${quote(c.name)}: ${LABEL_MSG}`));
      else if (seen.has(c.name))
        out.push(cause(`${at}.name`, `Duplicate value: ${quote(c.name)}`, 'FieldValueDuplicate'));
      seen.add(c.name);
      if (!c.image) out.push(cause(`${at}.image`, 'Required value', 'FieldValueRequired'));
      for (const [j, p] of (c.ports ?? []).entries())
        if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
          out.push(
            cause(
              `${at}.ports[${j}].containerPort`,
              `Invalid value: ${p.containerPort}: must be between 1 and 65535, inclusive`,
            ),
          );
      for (const [j, e] of (c.env ?? []).entries())
        if (!e.name) out.push(cause(`${at}.env[${j}].name`, 'Required value', 'FieldValueRequired'));
      for (const [j, m] of (c.volumeMounts ?? []).entries()) {
        if (!volumes.has(m.name))
          out.push(cause(`${at}.volumeMounts[${j}].name`, `Not found: ${quote(m.name ?? '')}`, 'FieldValueNotFound'));
        if (!m.mountPath) out.push(cause(`${at}.volumeMounts[${j}].mountPath`, 'Required value', 'FieldValueRequired'));
      }
      resourceCauses(c, at, out);
    });
  check(pod.spec.initContainers ?? [], 'spec.initContainers');
  check(containers, 'spec.containers');
  const rp = pod.spec.restartPolicy;
  if (rp !== undefined && !['Always', 'OnFailure', 'Never'].includes(rp))
    out.push(
      cause(
        'spec.restartPolicy',
        `Unsupported value: ${quote(rp)}: supported values: "Always", "OnFailure", "Never"`,
        'FieldValueNotSupported',
      ),
    );
  return out;
}

// Writes src/spawners/kubernetes/api-fields.json: the fields and field types of every Kubernetes API type a
// server's pod and storage claim can hold, taken from @kubernetes/client-node's generated models (a dev
// dependency). The hub checks objects against this table before sending them, so it never loads the client
// itself (its models cost a hub process ~85 MB). src/spawners/kubernetes/fields.test.ts keeps the file in step.
// Run: node scripts/k8s-api-fields.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOTS = ['V1Pod', 'V1PersistentVolumeClaim'];
export const TABLE_PATH = fileURLToPath(new URL('../src/spawners/kubernetes/api-fields.json', import.meta.url));

/** { TypeName: { field: type } } for ROOTS and every model type they reach. */
export async function apiFieldTable() {
  const k8s = await import('@kubernetes/client-node');
  const table = {};
  const visit = (type) => {
    const inner = /^Array<(.+)>$/.exec(type)?.[1] ?? /^\{ \[key: string\]: (.+); \}$/.exec(type)?.[1];
    if (inner) return visit(inner);
    const model = k8s[type];
    if (table[type] || typeof model?.getAttributeTypeMap !== 'function') return;
    table[type] = {};
    for (const a of model.getAttributeTypeMap()) table[type][a.baseName] = a.type;
    for (const a of model.getAttributeTypeMap()) visit(a.type);
  };
  for (const root of ROOTS) visit(root);
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(TABLE_PATH, `${JSON.stringify(await apiFieldTable(), null, 1)}\n`);
  console.log(`wrote ${TABLE_PATH}`);
}

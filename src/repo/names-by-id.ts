/**
 * Gathers `name`s per `id` from a query run over `ids` in chunks (SQLite limits bound parameters),
 * keeping the query's order within each id: the shape of "groups of these users", "roles of these groups".
 */
export async function namesById(
  ids: number[],
  query: (chunk: number[]) => Promise<{ id: number; name: string }[]>,
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await query(ids.slice(i, i + 500))) {
      const list = out.get(r.id);
      if (list) list.push(r.name);
      else out.set(r.id, [r.name]);
    }
  }
  return out;
}

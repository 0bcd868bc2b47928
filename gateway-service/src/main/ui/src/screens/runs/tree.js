// Nested runs (tag mlflow.parentRunId) as a tree over the runs loaded so far, flattened into the
// rows the table shows. Linear in the runs loaded: one Map of children, one walk.
import { PARENT_TAG, tag } from './columns.js';

/** Children of each loaded run, and the runs shown at the top (no parent, or a parent not loaded). */
export function buildTree(runs) {
  const loaded = new Set();
  for (const run of runs) loaded.add(run.info.run_id);
  const children = new Map();
  const top = [];
  for (const run of runs) {
    const parent = tag(run, PARENT_TAG);
    if (parent && parent !== run.info.run_id && loaded.has(parent)) {
      const list = children.get(parent);
      if (list) list.push(run);
      else children.set(parent, [run]);
    } else {
      top.push(run);
    }
  }
  return { top, children };
}

/**
 * The rows in view order: each run followed by its children (unless collapsed), with its depth.
 * Runs in a parent cycle (no root among the loaded runs) are shown at the top, once.
 */
export function flatten({ top, children }, collapsed, runs) {
  const rows = [];
  const placed = new Set();
  const walk = (roots) => {
    const stack = [];
    for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0]);
    while (stack.length) {
      const [run, depth] = stack.pop();
      const id = run.info.run_id;
      if (placed.has(id)) continue;
      placed.add(id);
      const kids = children.get(id);
      const open = !collapsed.has(id);
      rows.push({ run, depth, children: kids ? kids.length : 0, open });
      if (kids && open) for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
    }
  };
  walk(top);
  // a collapsed parent hides its descendants; only runs neither shown nor under a collapsed
  // parent (a cycle of parents) are left, and they are shown at the top
  if (placed.size < runs.length) {
    const hidden = new Set();
    const hide = (id) => {
      const stack = [id];
      while (stack.length) {
        for (const kid of children.get(stack.pop()) || []) {
          if (!hidden.has(kid.info.run_id)) {
            hidden.add(kid.info.run_id);
            stack.push(kid.info.run_id);
          }
        }
      }
    };
    for (const id of collapsed) if (placed.has(id)) hide(id);
    const orphans = runs.filter((r) => !placed.has(r.info.run_id) && !hidden.has(r.info.run_id));
    if (orphans.length) walk(orphans);
  }
  return rows;
}

// Nested runs (tag mlflow.parentRunId) as a tree over the runs loaded so far, flattened into the
// rows the table shows. The tree grows a page at a time: each page's runs are read once as they
// arrive (their parent tag looked up then), never all the runs loaded again.
import { PARENT_TAG, tag } from './columns.js';

/**
 * A tree with no runs: `runs` in the order loaded, `ids` of those runs, `children` of each loaded
 * run, `top` the runs shown at the top (no parent, or a parent not loaded), and `waiting` the runs
 * of `top` whose parent is not loaded yet, by that parent's id.
 */
export function emptyTree() {
  return { runs: [], ids: new Set(), children: new Map(), top: [], waiting: new Map() };
}

/**
 * Adds a page of runs to the tree (changing it): runs already loaded are skipped, runs shown at the
 * top because their parent was not loaded move under it when it arrives. Returns the runs added.
 */
export function addPage(tree, page) {
  const fresh = [];
  for (const run of page) {
    const id = run.info.run_id;
    if (tree.ids.has(id)) continue;
    tree.ids.add(id);
    fresh.push(run);
  }
  // children loaded before their parent: under it now, ahead of its children in this page (the
  // order loaded)
  let moved = null;
  for (const run of fresh) {
    const id = run.info.run_id;
    const orphans = tree.waiting.get(id);
    if (!orphans) continue;
    tree.waiting.delete(id);
    tree.children.set(id, orphans);
    moved = moved || new Set();
    for (const o of orphans) moved.add(o.info.run_id);
  }
  if (moved) tree.top = tree.top.filter((r) => !moved.has(r.info.run_id));
  for (const run of fresh) {
    tree.runs.push(run);
    const id = run.info.run_id;
    const parent = tag(run, PARENT_TAG);
    if (parent && parent !== id && tree.ids.has(parent)) {
      const list = tree.children.get(parent);
      if (list) list.push(run);
      else tree.children.set(parent, [run]);
    } else {
      tree.top.push(run);
      if (parent && parent !== id) {
        const list = tree.waiting.get(parent);
        if (list) list.push(run);
        else tree.waiting.set(parent, [run]);
      }
    }
  }
  return fresh;
}

/**
 * The rows in view order: each run followed by its children (unless collapsed), with its depth and
 * the number of children shown under it. Runs in a parent cycle (no root among the loaded runs) are
 * shown from the first of them loaded, once: a run's parent shown above it is not listed again as
 * its child, and a collapsed run hides the rest of its cycle.
 */
export function flatten({ top, children, runs }, collapsed) {
  const rows = [];
  const placed = new Set();
  // rows collapsed with children: their descendants are hidden (read only when runs are left over)
  const closed = [];
  const walk = (root) => {
    const stack = [[root, 0]];
    while (stack.length) {
      const [run, depth] = stack.pop();
      const id = run.info.run_id;
      if (placed.has(id)) continue;
      placed.add(id);
      let kids = children.get(id);
      // in a cycle a child may be this run's ancestor, placed already
      if (kids && kids.some((k) => placed.has(k.info.run_id))) kids = kids.filter((k) => !placed.has(k.info.run_id));
      const count = kids ? kids.length : 0;
      const open = !collapsed.has(id);
      rows.push({ run, depth, children: count, open });
      if (count && !open) closed.push(id);
      if (count && open) for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
    }
  };
  for (const run of top) walk(run);
  // a collapsed parent hides its descendants; only runs neither shown nor under a collapsed
  // parent (a cycle of parents) are left, and they are shown at the top
  if (placed.size < runs.length) {
    const hidden = new Set();
    const hideClosed = () => {
      const stack = closed.splice(0);
      while (stack.length) {
        for (const kid of children.get(stack.pop()) || []) {
          const kidId = kid.info.run_id;
          if (!hidden.has(kidId) && !placed.has(kidId)) {
            hidden.add(kidId);
            stack.push(kidId);
          }
        }
      }
    };
    hideClosed();
    for (const run of runs) {
      const id = run.info.run_id;
      if (placed.has(id) || hidden.has(id)) continue;
      walk(run);
      hideClosed();
    }
  }
  return rows;
}

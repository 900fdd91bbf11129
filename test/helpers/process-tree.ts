import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Linux's view of a process: its parent and state, or null once it is gone. */
function statOf(pid: number): { ppid: number; state: string } | null {
  try {
    // The command name, in parentheses, may hold spaces: the fields after it are fixed.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), state: state! };
  } catch {
    return null;
  }
}

/** A process and all its descendants, as they are now. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (stat) parents.set(Number(name), stat.ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Gone, or a zombie waiting for its parent to read its exit (it holds no port, runs nothing). */
export function isGone(pid: number): boolean {
  const stat = statOf(pid);
  return stat === null || stat.state === 'Z' || stat.state === 'X';
}

/** True when nothing listens on 127.0.0.1:`port` (the connection is refused). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Polls until `check` holds, answering how long it took, or null if it did not within `timeoutMs`. */
export async function timeUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started <= timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return null;
}

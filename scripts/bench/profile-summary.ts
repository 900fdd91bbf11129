/**
 * What a CPU profile (node --cpu-prof) spent its time on: self time by function and by file (or
 * package), the biggest first.
 *
 *   npx tsx scripts/bench/profile-summary.ts DIR/file.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });

/** node_modules/<package> or the file's path below the project, for grouping. */
function placeOf(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.search(/\/(src|scripts)\//);
  return src >= 0 ? url.slice(src + 1) : url.replace(/^node:/, 'node:');
}

async function main() {
  const profile = JSON.parse(await readFile(positionals[0]!, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const micros = profile.timeDeltas[i] ?? 0;
    if (node.callFrame.functionName === '(idle)') return;
    total += micros;
    const place = placeOf(node.callFrame.url);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${place}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
  });
  const top = Number(values.top);
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms busy)`);
    for (const [name, micros] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  print('self time by file or package', byPlace);
  print('self time by function', byFunction);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

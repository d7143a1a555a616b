/**
 * The default corpus: the project's own source code (its TypeScript and WGSL),
 * the way char-rnn was famously trained on source code. It ships with the
 * project, so `npm start` needs no download.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function filesUnder(directory: string, extensions: string[]): string[] {
  const files: string[] = [];
  for (const name of readdirSync(directory).sort()) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) files.push(...filesUnder(path, extensions));
    else if (extensions.some((extension) => name.endsWith(extension))) files.push(path);
  }
  return files;
}

/** The project's source files, each preceded by a `// file: path` line, in a fixed order. */
export function projectSourceCorpus(projectRoot: string): string {
  const files = [...filesUnder(join(projectRoot, 'shaders'), ['.wgsl']), ...filesUnder(join(projectRoot, 'src'), ['.ts'])];
  return files.map((file) => `// file: ${relative(projectRoot, file)}\n${readFileSync(file, 'utf8')}`).join('\n');
}

/**
 * The project's own source code as one text: its TypeScript (the engine, not
 * its CPU reference) and WGSL, each file headed by its path. Imported
 * dynamically by corpora.ts, so the build keeps it in one chunk of its own,
 * fetched only when the page asks for it.
 */
const files = import.meta.glob<string>(['../src/**/*.ts', '!../src/reference/**', '../shaders/*.wgsl'], { query: '?raw', import: 'default', eager: true });

export const SOURCE_TEXT = Object.keys(files)
  .sort()
  .map((path) => `// ==== ${path.replace(/^\.\.\//, '')} ====\n${files[path]}`)
  .join('\n');

/**
 * Vite config of the examples (`npm run examples` serves them; `vite build examples`
 * builds them). Each page imports 'webgpu-rnn' as an app that installed the
 * package would; here that name points at the built library (dist/lib, made by
 * `npm run build`, or the build named by WEBGPU_RNN_LIBRARY), so the examples use
 * exactly what the package ships.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const library = process.env.WEBGPU_RNN_LIBRARY ?? fileURLToPath(new URL('../dist/lib/webgpu-rnn.js', import.meta.url));
if (!existsSync(library)) throw new Error(`${library} is missing: run \`npm run build\` first (npm run examples does).`);

const page = (name: string) => fileURLToPath(new URL(`./${name}.html`, import.meta.url));

export default defineConfig({
  base: './',
  resolve: { alias: { 'webgpu-rnn': library } },
  build: {
    outDir: '../dist/examples',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: ['index', 'forecasting', 'classification', 'text-generation'].map(page) },
  },
});

/** Vite config of the demo page (`vite demo`, `vite build demo`): Vite reads it from the root it is given. */
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs, so the built page works from any folder it is served from.
  base: './',
  // The training worker is a module worker; the library it bundles splits off its Node-only part, which needs ES output.
  worker: { format: 'es' },
  build: {
    outDir: '../dist/demo',
    emptyOutDir: true,
  },
});

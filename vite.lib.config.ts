/**
 * The library build (`npm run build`): src/index.ts as ESM in dist/lib/, WGSL
 * inlined (the kernels import it with `?raw`). Dawn's `webgpu` package and
 * node: modules stay external: they are loaded only in Node, by a dynamic
 * import behind a variable name, so a browser bundle never contains them.
 * Type declarations are emitted next to it by `tsc -p tsconfig.lib.json`.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: 'webgpu-rnn',
    },
    rollupOptions: {
      external: ['webgpu', /^node:/],
    },
  },
});

import { defineConfig } from 'vite';

// The bench's SSR build. TensorFlow.js is bundled from its ES modules rather than
// loaded from its CommonJS Node bundles: those lack the gradient registrations
// (@tensorflow/tfjs-core/dist/register_all_gradients, an ES module), and bundling
// keeps one copy of tfjs-core for the core, the gradients and the WebGPU backend.
export default defineConfig({
  ssr: { noExternal: [/^@tensorflow\//] },
});

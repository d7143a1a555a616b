import { defineConfig } from 'vite';

// The bench's SSR build. TensorFlow.js is bundled from its ES modules rather than
// loaded from its CommonJS Node bundles: those lack the gradient registrations
// (@tensorflow/tfjs-core/dist/register_all_gradients, an ES module), and bundling
// keeps one copy of tfjs-core for the core, the gradients and the WebGPU backend.
// seedrandom (CommonJS, used by every TF.js random op, so by tfjs-layers' initializers)
// is bundled too: Node's import of it as an ES module namespace has no `alea`.
export default defineConfig({
  ssr: { noExternal: [/^@tensorflow\//, 'seedrandom'] },
});

// Builds the analyst UI into dist/web, which `malgram serve` hosts. Everything is bundled:
// the page makes no request outside the server it came from.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});

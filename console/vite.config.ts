import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The build is committed and embedded in the countersign binary: no source maps, stable names,
// nothing fetched at run time from anywhere but the server that serves it.
export default defineConfig({
  plugins: [preact({ prefreshEnabled: false })],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev` against a server on :8080 (or COUNTERSIGN_URL).
    proxy: {
      '/graphql': { target: process.env.COUNTERSIGN_URL ?? 'http://127.0.0.1:8080', ws: true },
      '/export': process.env.COUNTERSIGN_URL ?? 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
} as import('vite').UserConfig);

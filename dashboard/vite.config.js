import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the dashboard on :5173 and forwards /api to a local `cloudopt serve` on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
  test: { environment: 'node', include: ['src/**/*.test.js'] },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The bundle goes into the gateway's classes (META-INF/skein-ui), so it ships in its jar. Asset
// names carry a content hash: the gateway serves them as immutable, and the index never cached.
export default defineConfig({
  base: '/',
  // `npm run dev` (development only): the UI from source, the API from a running suite
  server: {
    proxy: Object.fromEntries(['/ajax-api', '/api', '/get-artifact', '/model-versions', '/endpoints'].map((prefix) => [
      prefix, process.env.SKEIN_API || 'http://127.0.0.1:8080'])),
  },
  build: {
    outDir: fileURLToPath(new URL('../../../target/classes/META-INF/skein-ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    manifest: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
});

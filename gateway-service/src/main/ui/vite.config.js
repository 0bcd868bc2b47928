import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The bundle goes into the gateway's classes (META-INF/skein-ui), so it ships in its jar. Asset
// names carry a content hash: the gateway serves them as immutable, and the index never cached.
export default defineConfig({
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../../../target/classes/META-INF/skein-ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    manifest: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
});

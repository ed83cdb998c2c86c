// The dashboard worker's bundled source, inlined by esbuild.mjs (a plugin builds webview/dashboard/lineWorker.ts).
declare module 'rlstudio:dashboard-worker' {
  const source: string;
  export default source;
}

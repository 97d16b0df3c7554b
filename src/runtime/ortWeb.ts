/**
 * onnxruntime-web set up one way for every worker that runs it (the app's and the bench's), so
 * the bench measures the runtime as the page configures it.
 */
import webgpuMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import webgpuWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import wasmMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import wasmWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

import type { ExecutionProvider } from './protocol';

/** onnxruntime-web's module for `executionProvider`, with its files, threads and log level set. */
export async function configureOrt(executionProvider: ExecutionProvider, threads: number) {
  // The plain WASM build runs the CPU path 2.5x faster than the JSEP/WebGPU build: load only
  // the one the provider needs.
  const useWebGpu = executionProvider === 'webgpu';
  const ort = useWebGpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  // ORT prints warnings (e.g. "Some nodes were not assigned…" on WebGPU) at error level otherwise.
  ort.env.logLevel = 'error';
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = useWebGpu
    ? { mjs: webgpuMjsUrl, wasm: webgpuWasmUrl }
    : { mjs: wasmMjsUrl, wasm: wasmWasmUrl };
  // ORT reads numThreads once, when it initialises: one worker per thread count.
  ort.env.wasm.numThreads = threads;
  return ort;
}

import { parentPort } from 'node:worker_threads';
import { AriadneError } from '../../core/errors.js';
import { FaceEngine } from './face-engine.js';
import { ImageInput } from './image-input.js';
import { OrbMatcher } from './orb-matcher.js';
import { sceneDescriptor } from './scene-descriptor.js';
import type { AnalyseResult, MatchResult, VisionReply, VisionRequest } from './vision-protocol.js';

/**
 * Worker thread of the VisionPool: the face models (tfjs wasm) and OpenCV are loaded once per thread, on first use,
 * and run one task at a time, so the API's event loop and the triage jobs never wait for them.
 */
if (!parentPort) throw new Error('vision-worker must run in a worker thread');
const port = parentPort;
const input = new ImageInput();
const faces = new FaceEngine();
const orb = new OrbMatcher();

port.on('message', (request: VisionRequest) => {
  void handle(request).then(({ reply, transfer }) => port.postMessage(reply, transfer));
});

async function handle(request: VisionRequest): Promise<{ reply: VisionReply; transfer: ArrayBuffer[] }> {
  try {
    if (request.op === 'analyse') {
      const result = await analyse(new Uint8Array(request.bytes), request.faces, request.scene);
      const transfer = [...(result.faces ?? []).map((f) => f.descriptor.buffer as ArrayBuffer), ...(result.scene ? [result.scene.buffer as ArrayBuffer] : [])];
      return { reply: { id: request.id, ok: true, result }, transfer };
    }
    const result = await match(new Uint8Array(request.a), new Uint8Array(request.b));
    return { reply: { id: request.id, ok: true, result }, transfer: [result.pairs.buffer as ArrayBuffer] };
  } catch (error) {
    const e = error instanceof AriadneError ? { kind: error.kind, message: error.message } : { kind: 'internal' as const, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    return { reply: { id: request.id, ok: false, error: e }, transfer: [] };
  }
}

async function analyse(bytes: Uint8Array, wantFaces: boolean, wantScene: boolean): Promise<AnalyseResult> {
  let t = performance.now();
  const upright = await input.open(bytes);
  const decode = performance.now() - t;
  let faceMs = 0;
  let sceneMs = 0;
  let found: AnalyseResult['faces'];
  if (wantFaces) {
    t = performance.now();
    const rgb = await input.rgb(upright);
    const detected = await faces.detect(rgb.data, rgb.width, rgb.height);
    found = detected.map((f) => ({ box: [f.box[0] * rgb.scale, f.box[1] * rgb.scale, f.box[2] * rgb.scale, f.box[3] * rgb.scale] as const, score: f.score, descriptor: f.descriptor }));
    faceMs = performance.now() - t;
  }
  let scene: Float32Array | undefined;
  if (wantScene) {
    t = performance.now();
    scene = sceneDescriptor(await input.sceneSquare(upright));
    sceneMs = performance.now() - t;
  }
  return { width: upright.width, height: upright.height, faces: found, scene, ms: { decode, faces: faceMs, scene: sceneMs } };
}

async function match(a: Uint8Array, b: Uint8Array): Promise<MatchResult> {
  const [ua, ub] = await Promise.all([input.open(a), input.open(b)]);
  const [ga, gb] = await Promise.all([input.grey(ua), input.grey(ub)]);
  const m = await orb.match(ga, gb);
  const pairs = new Float32Array(m.pairs.length);
  for (let i = 0; i < m.pairs.length; i += 4) {
    pairs[i] = m.pairs[i] * ga.scale;
    pairs[i + 1] = m.pairs[i + 1] * ga.scale;
    pairs[i + 2] = m.pairs[i + 2] * gb.scale;
    pairs[i + 3] = m.pairs[i + 3] * gb.scale;
  }
  return { a: { width: ua.width, height: ua.height }, b: { width: ub.width, height: ub.height }, candidates: m.candidates, inliers: m.inliers, pairs, homography: m.homography };
}

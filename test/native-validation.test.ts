// The addon's own argument checks, called directly (no TypeScript shape checks in front): every
// wrong type, size, length, id or overlap is a JS Error naming the kernel and the operand, and
// the process survives to run a correct call afterwards.
import test from 'tape';
import { nativeAddonOrSkip } from './native-addon.js';

const f32 = (length: number) => new Float32Array(length);
const i32 = (...values: number[]) => Int32Array.from(values);

test('native validation: bad arguments throw, never crash', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return t.end();
  // deliberately wrong calls, so the types are loosened
  const k = addon as unknown as Record<string, (...args: unknown[]) => void>;
  const refused = (kernel: string, args: unknown[], message: RegExp, what: string) =>
    t.throws(() => k[kernel](...args), message, `${kernel}: ${what}`);

  // linear(out, inp, weight, bias, residual, M, K, N, activation) at M=2, K=3, N=4
  const weight = new addon.LinearWeight(f32(12), 4, 3, 'f32');
  const linear = () => [f32(8), f32(6), weight, f32(4), null, 2, 3, 4, 'none'];
  const linearWith = (index: number, value: unknown) => linear().map((arg, i) => (i === index ? value : arg));
  refused('linear', linearWith(0, f32(7)), /sentvec native kernel linear: out holds 7 elements, needs 8/, 'short out');
  refused('linear', linearWith(1, f32(5)), /linear: inp holds 5 elements, needs 6/, 'short inp');
  refused('linear', linearWith(2, f32(12)), /linear: weight must be a LinearWeight of this addon/, 'a bare Float32Array weight');
  refused('linear', linearWith(6, 4), /linear: weight was made for N=4, K=3, not N=4, K=4/, 'a weight of another shape');
  refused('linear', linearWith(3, f32(3)), /linear: bias holds 3 elements, needs 4/, 'short bias');
  refused('linear', linearWith(4, f32(7)), /linear: residual holds 7 elements, needs 8/, 'short residual');
  refused('linear', linearWith(1, new Float64Array(6)), /linear: inp must be a Float32Array/, 'wrong array type');
  refused('linear', linearWith(2, [1, 2, 3]), /linear: weight must be a LinearWeight of this addon/, 'plain array');
  refused('linear', linearWith(4, undefined), /linear: residual must be a Float32Array or null/, 'undefined residual');
  refused('linear', linearWith(5, 0), /linear: M must be a positive integer, got 0/, 'zero M');
  refused('linear', linearWith(6, 2.5), /linear: K must be a positive integer, got 2.5/, 'fractional K');
  refused('linear', linearWith(7, -4), /linear: N must be a positive integer, got -4/, 'negative N');
  refused('linear', linearWith(7, NaN), /linear: N must be a positive integer/, 'NaN N');
  refused('linear', linearWith(5, 2 ** 40), /linear: M must be a positive integer/, 'huge M');
  refused('linear', linearWith(5, '2'), /linear: M must be a number/, 'string M');
  refused('linear', linearWith(8, 'relu'), /linear: unknown activation relu/, 'unknown activation');
  refused('linear', linear().slice(0, 8), /linear: takes 9 arguments, got 8/, 'missing argument');
  const wide = new addon.LinearWeight(f32(65536), 65536, 1, 'f32');
  refused('linear', [f32(70000), f32(70000), wide, f32(70000), null, 65536, 1, 65536, 'none'],
    /linear: out holds 70000 elements, needs 4294967296/, 'sizes whose product overflows 32 bits');
  const shared = f32(16);
  refused('linear', [shared.subarray(0, 8), shared.subarray(2, 8), weight, f32(4), null, 2, 3, 4, 'none'],
    /linear: out overlaps inp/, 'out overlapping inp');
  refused('linear', [shared.subarray(0, 8), f32(6), weight, f32(4), shared.subarray(1, 9), 2, 3, 4, 'none'],
    /linear: out overlaps residual \(only the very same array is allowed\)/, 'out partly overlapping residual');

  // layerNorm(out, inp, gamma, beta, M, C, eps)
  refused('layerNorm', [f32(6), f32(6), f32(2), f32(3), 2, 3, 1e-5], /layerNorm: gamma holds 2 elements, needs 3/, 'short gamma');
  refused('layerNorm', [f32(6), f32(6), f32(3), f32(3), 2, 3, 0], /layerNorm: eps must be positive/, 'zero eps');
  refused('layerNorm', [f32(6), f32(6), f32(3), f32(3), 2, 3, Infinity], /layerNorm: eps must be positive and finite/, 'infinite eps');

  // attention(out, q, k, v, positionBias, lengths, B, T, NH, HS) at B=2, T=3, NH=2, HS=2: q, k, v
  // and out hold the two sequences back to back, 3 + 3 rows of 4
  const attention = () => [f32(24), f32(24), f32(24), f32(24), f32(18), i32(3, 3), 2, 3, 2, 2];
  const attentionWith = (index: number, value: unknown) => attention().map((arg, i) => (i === index ? value : arg));
  refused('attention', attentionWith(3, f32(23)), /attention: v holds 23 elements, needs 24/, 'short v');
  refused('attention', attentionWith(4, f32(17)), /attention: positionBias holds 17 elements, needs 18/, 'short bias');
  refused('attention', attentionWith(5, i32(3)), /attention: lengths holds 1 elements, needs 2/, 'short lengths');
  refused('attention', attentionWith(5, i32(3, 0)), /attention: lengths\[1\] = 0 is outside 1..3/, 'zero length');
  refused('attention', attentionWith(5, i32(4, 3)), /attention: lengths\[0\] = 4 is outside 1..3/, 'length past T');
  refused('attention', attentionWith(5, new Uint32Array([3, 3])), /attention: lengths must be an Int32Array/, 'unsigned lengths');
  const qkv = f32(24);
  refused('attention', [qkv, f32(24), qkv, f32(24), null, i32(3, 3), 2, 3, 2, 2], /attention: out overlaps k/, 'out is k');

  // embed(out, ids, positionIds, typeIds, words, positions, types, N, C, V, P, TV) at N=2, C=2, V=3, P=4, TV=2
  const embed = () => [f32(4), i32(0, 2), i32(0, 3), i32(1, 0), f32(6), f32(8), f32(4), 2, 2, 3, 4, 2];
  const embedWith = (index: number, value: unknown) => embed().map((arg, i) => (i === index ? value : arg));
  refused('embed', embedWith(1, i32(0, 3)), /embed: ids\[1\] = 3 is outside 0..2/, 'id past the vocabulary');
  refused('embed', embedWith(1, i32(-1, 0)), /embed: ids\[0\] = -1 is outside 0..2/, 'negative id');
  refused('embed', embedWith(2, i32(4, 0)), /embed: positionIds\[0\] = 4 is outside 0..3/, 'position past the table');
  refused('embed', embedWith(3, i32(2, 0)), /embed: typeIds\[0\] = 2 is outside 0..1/, 'type past the table');
  refused('embed', embedWith(1, i32(0)), /embed: ids holds 1 elements, needs 2/, 'short ids');
  refused('embed', embedWith(6, null), /embed: typeIds and types must both be given or both be null/, 'types without a table');
  refused('embed', embedWith(4, f32(5)), /embed: words holds 5 elements, needs 6/, 'short words');

  // pool(out, hidden, lengths, B, C, mode): hidden holds the sequences back to back, 3 + 3 rows
  refused('pool', [f32(4), f32(12), i32(3, 3), 2, 2, 'median'], /pool: unknown mode median/, 'unknown mode');
  refused('pool', [f32(4), f32(11), i32(3, 3), 2, 2, 'mean'], /pool: hidden holds 11 elements, needs 12/, 'short hidden');
  refused('pool', [f32(4), f32(12), i32(3, 9), 2, 2, 'cls'], /pool: hidden holds 12 elements, needs 24/, 'lengths past hidden');
  refused('pool', [f32(4), f32(12), i32(3, 0), 2, 2, 'cls'], /pool: lengths\[1\] = 0 is below 1/, 'zero length');

  refused('setThreads', [0], /setThreads: threads must be a positive integer, got 0/, 'zero threads');
  refused('fmaPeak', [-1], /fmaPeak: seconds must be in \(0, 60\]/, 'negative duration');

  const out = f32(2);
  addon.linear(out, Float32Array.of(1, 2), new addon.LinearWeight(Float32Array.of(3, 4, 5, 6), 2, 2, 'f32'),
    Float32Array.of(0.5, -0.5), null, 1, 2, 2, 'none');
  t.deepEqual(Array.from(out), [11.5, 16.5], 'a correct call still runs after the refused ones');
  t.end();
});

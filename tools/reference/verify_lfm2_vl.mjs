// Self-consistency checks of a generated LFM2-VL export, run with onnxruntime-node:
//   - decoder: one prefill == prefix prefill + one-token steps == prefix prefill + a multi-token
//     chunk (attention KV and short-convolution state carried between calls)
//   - decoder: a left-padded row in a batch == the same sequence run alone (prefill and a decode step)
//   - vision encoder: a batch of tiles of different shapes == each tile alone, in order, with
//     (rows/2)*(cols/2) feature rows per tile, whatever the padded patch count
//   - the empty first-step cache transformers.js builds from the input metadata (zeros,
//     symbolic dims other than batch_size set to 0) is accepted
//
//   cd tools/reference && node verify_lfm2_vl.mjs [model dir, default testdata/models/tiny-lfm2-vl]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelDir = path.resolve(REPO_ROOT, process.argv[2] ?? 'testdata/models/tiny-lfm2-vl');
const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
const preprocessor = JSON.parse(fs.readFileSync(path.join(modelDir, 'preprocessor_config.json'), 'utf8'));
const text = config.text_config;
const TOLERANCE = 1e-4;

const session = (name) => ort.InferenceSession.create(path.join(modelDir, 'onnx', `${name}.onnx`));
const [embed, decoder, encoder] = await Promise.all([
    session('embed_tokens'),
    session('decoder_model_merged'),
    session('vision_encoder'),
]);

// Deterministic pseudo-random numbers (mulberry32), so failures are reproducible.
let state = 4242;
function random() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
// Ordinary (non-special) ids: the 256 byte tokens and the merges start at 5.
const randomIds = (n) => Array.from({ length: n }, () => 5 + Math.floor(random() * 700));

const i64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

async function embedRows(rows) {
    const out = await embed.run({ input_ids: i64(rows.flat(), [rows.length, rows[0].length]) });
    return out.inputs_embeds;
}

/** The first-step cache exactly as transformers.js builds it from the decoder's input metadata. */
function emptyCache(batch) {
    const cache = {};
    for (const meta of decoder.inputMetadata) {
        if (!meta.name.startsWith('past_')) continue;
        const dims = meta.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? batch : 0));
        cache[meta.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
    }
    return cache;
}

function nextCache(outputs) {
    const cache = {};
    for (const [name, tensor] of Object.entries(outputs)) {
        if (name.startsWith('present_conv.')) cache[name.replace('present_conv.', 'past_conv.')] = tensor;
        else if (name.startsWith('present.')) cache[name.replace('present.', 'past_key_values.')] = tensor;
    }
    return cache;
}

async function runDecoder(embeds, mask, cache) {
    const [batch] = embeds.dims;
    return decoder.run({ inputs_embeds: embeds, attention_mask: i64(mask, [batch, mask.length / batch]), ...cache });
}

/** Logits of row `row`, positions [from, to) of a [b, s, V] tensor. */
function logitRows(logits, row, from, to) {
    const [, s, v] = logits.dims;
    return logits.data.slice((row * s + from) * v, (row * s + to) * v);
}

function sliceSeq(embeds, from, to) {
    const [b, s, h] = embeds.dims;
    const data = new Float32Array(b * (to - from) * h);
    for (let r = 0; r < b; ++r) data.set(embeds.data.slice((r * s + from) * h, (r * s + to) * h), r * (to - from) * h);
    return new ort.Tensor('float32', data, [b, to - from, h]);
}

let failures = 0;
function expectClose(label, a, b) {
    let worst = 0;
    for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    const ok = a.length === b.length && a.length > 0 && worst <= TOLERANCE;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${a.length} values, max |diff| ${worst.toExponential(2)}`);
}
function expectEqual(label, actual, expected) {
    const ok = JSON.stringify(actual) === JSON.stringify(expected);
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${JSON.stringify(actual)}${ok ? '' : ` != ${JSON.stringify(expected)}`}`);
}

// 0. Cache layout: one conv state per conv layer, a key/value pair per attention layer.
{
    const expected = [];
    text.layer_types.forEach((type, i) => {
        if (type === 'conv') expected.push(`past_conv.${i}`);
        else expected.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
    });
    expectEqual('cache inputs follow text_config.layer_types', Object.keys(emptyCache(1)), expected);
    const conv = emptyCache(3)[expected[0]];
    expectEqual('initial conv state dims [batch, hidden, conv_L_cache]', conv.dims, [3, text.hidden_size, text.conv_L_cache]);
}

// 1. Prefill of the whole sequence vs prefix prefill + cached single-token steps / one chunk.
{
    const length = 11;
    const prefix = 5;
    const embeds = await embedRows([randomIds(length)]);
    const full = await runDecoder(embeds, Array(length).fill(1), emptyCache(1));
    let out = await runDecoder(sliceSeq(embeds, 0, prefix), Array(prefix).fill(1), emptyCache(1));
    const afterPrefix = nextCache(out);
    expectClose('prefix prefill == full prefill', logitRows(out.logits, 0, 0, prefix), logitRows(full.logits, 0, 0, prefix));
    for (let t = prefix; t < length; ++t) {
        out = await runDecoder(sliceSeq(embeds, t, t + 1), Array(t + 1).fill(1), nextCache(out));
        expectClose(`cached step at ${t} == full prefill`, logitRows(out.logits, 0, 0, 1), logitRows(full.logits, 0, t, t + 1));
    }
    const chunk = await runDecoder(sliceSeq(embeds, prefix, length), Array(length).fill(1), afterPrefix);
    expectClose('cached chunk of 6 == full prefill', logitRows(chunk.logits, 0, 0, length - prefix), logitRows(full.logits, 0, prefix, length));
    // A prompt shorter than the conv kernel still leaves a [batch, hidden, L] state.
    const tiny = await runDecoder(sliceSeq(embeds, 0, 1), [1], emptyCache(1));
    const step = await runDecoder(sliceSeq(embeds, 1, 2), [1, 1], nextCache(tiny));
    expectClose('one-token prompt + step == full prefill', logitRows(step.logits, 0, 0, 1), logitRows(full.logits, 0, 1, 2));
}

// 2. Left padding: row 1 is shorter and padded on the left; it must match running it alone.
{
    const longIds = randomIds(9);
    const shortIds = randomIds(4);
    const pad = longIds.length - shortIds.length;
    const padded = [...Array(pad).fill(text.pad_token_id), ...shortIds];
    const mask = [...Array(longIds.length).fill(1), ...Array(pad).fill(0), ...Array(shortIds.length).fill(1)];
    const batchOut = await runDecoder(await embedRows([longIds, padded]), mask, emptyCache(2));

    const alone = await runDecoder(await embedRows([shortIds]), Array(shortIds.length).fill(1), emptyCache(1));
    expectClose('padded row prefill == alone', logitRows(batchOut.logits, 1, pad, longIds.length), logitRows(alone.logits, 0, 0, shortIds.length));
    const longAlone = await runDecoder(await embedRows([longIds]), Array(longIds.length).fill(1), emptyCache(1));
    expectClose('unpadded row prefill == alone', logitRows(batchOut.logits, 0, 0, longIds.length), logitRows(longAlone.logits, 0, 0, longIds.length));

    let batchCache = nextCache(batchOut);
    let aloneCache = nextCache(alone);
    let batchMask = mask;
    for (let step = 0; step < 2; ++step) {
        const next = randomIds(2);
        batchMask = [...batchMask.slice(0, batchMask.length / 2), 1, ...batchMask.slice(batchMask.length / 2), 1];
        const stepBatch = await runDecoder(await embedRows([[next[0]], [next[1]]]), batchMask, batchCache);
        const stepAlone = await runDecoder(await embedRows([[next[1]]]), Array(shortIds.length + step + 1).fill(1), aloneCache);
        expectClose(`padded row decode step ${step} == alone`, logitRows(stepBatch.logits, 1, 0, 1), logitRows(stepAlone.logits, 0, 0, 1));
        batchCache = nextCache(stepBatch);
        aloneCache = nextCache(stepAlone);
    }
}

// 3. Vision encoder: tiles of different shapes in one batch == each alone.
{
    const patch = preprocessor.encoder_patch_size;
    const slots = preprocessor.max_num_patches;
    const dim = 3 * patch * patch;
    const tile = preprocessor.tile_size / patch;
    const shapes = [[tile, tile], [2, 8], [4, 10], [tile / 2, tile], [8, 6]].filter(([h, w]) => h * w <= slots);
    const tiles = shapes.map(([h, w]) => Float32Array.from({ length: h * w * dim }, () => random() * 2 - 1));

    function encoderInputs(indices, numPatches = slots) {
        const pixels = new Float32Array(indices.length * numPatches * dim);
        const mask = [];
        const spatial = [];
        indices.forEach((t, k) => {
            pixels.set(tiles[t], k * numPatches * dim);
            const [h, w] = shapes[t];
            for (let n = 0; n < numPatches; ++n) mask.push(n < h * w ? 1 : 0);
            spatial.push(h, w);
        });
        return {
            pixel_values: new ort.Tensor('float32', pixels, [indices.length, numPatches, dim]),
            pixel_attention_mask: i64(mask, [indices.length, numPatches]),
            spatial_shapes: i64(spatial, [indices.length, 2]),
        };
    }

    const all = shapes.map((_, t) => t);
    const batch = (await encoder.run(encoderInputs(all))).image_features;
    const tokens = shapes.map(([h, w]) => (h / 2) * (w / 2));
    expectEqual('image_features rows == sum of (rows/2)*(cols/2)', batch.dims, [tokens.reduce((a, b) => a + b), text.hidden_size]);
    let offset = 0;
    for (const t of all) {
        const one = (await encoder.run(encoderInputs([t]))).image_features;
        const rows = tokens[t] * text.hidden_size;
        expectClose(`tile ${t} ${shapes[t].join('x')} in batch == alone`, batch.data.slice(offset, offset + rows), one.data);
        offset += rows;
    }
    const wider = (await encoder.run(encoderInputs(all, slots + 16))).image_features;
    expectClose('more padding patches give the same features', wider.data, batch.data);
}

console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

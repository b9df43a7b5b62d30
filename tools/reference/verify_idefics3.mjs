// Checks of the Idefics3 / SmolVLM fixtures with onnxruntime-node, independent of transformers.js'
// model code:
//   1. decoder: full prefill == prefix prefill + cached one-token steps; a left-padded row in a
//      batch == the row alone (prefill and a decode step)
//   2. vision encoder: padding frames (all-zero pixels, mask false) are dropped; each frame's
//      features do not depend on the other frames or on the batch
//   3. the bilinear resize described in tools/testmodels/IDEFICS3.md == transformers.js' interpolate_4d
//   4. the step-by-step pipeline of IDEFICS3.md, written out here (preprocessing, prompt expansion,
//      feature merge, greedy decoding), reproduces every golden case's pixel values, input_ids and
//      generated_ids, with ALL cases of a fixture run as ONE left-padded batch (padding frames included)
//
//   cd tools/reference && node verify_idefics3.mjs [model dir ...]
//   (default: testdata/models/tiny-idefics3 and testdata/models/tiny-smolvlm; each model's goldens are
//   read from testdata/goldens/<model dir name>.json)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoProcessor, AutoTokenizer, RawImage, Tensor, env, interpolate_4d } from '@huggingface/transformers';

env.allowRemoteModels = false;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOLERANCE = 1e-4;
const PIXEL_TOLERANCE = 1e-5;

let failures = 0;
function report(ok, label, detail = '') {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
}
function maxDiff(a, b) {
    if (a.length !== b.length) return Infinity;
    let worst = 0;
    for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
}
function expectClose(label, a, b, tolerance = TOLERANCE) {
    const worst = maxDiff(a, b);
    report(worst <= tolerance, label, `max |diff| ${worst.toExponential(2)}`);
}
function expectEqual(label, a, b) {
    const same = JSON.stringify(a) === JSON.stringify(b);
    report(same, label, same ? '' : `expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

// Deterministic pseudo-random numbers (mulberry32).
let state = 2024;
function random() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const i64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
const f32 = (values, dims) => new ort.Tensor('float32', Float32Array.from(values), dims);

// ---------------------------------------------------------------------------------------------
// Image preprocessing, as IDEFICS3.md describes it (HWC floats until the end, then CHW frames).

/** x * (1/255) in double, rounded to float32; then (x - mean) / std the same way. */
function normalize(rgb, mean, std, factor) {
    const out = new Float32Array(rgb.length);
    for (let i = 0; i < rgb.length; ++i) {
        const c = i % 3;
        const scaled = Math.fround(rgb[i] * factor);
        out[i] = Math.fround((scaled - mean[c]) / std[c]);
    }
    return out;
}

/** onnxruntime Resize, linear, half_pixel, no antialias, float32 arithmetic; HWC in and out. */
function bilinear(src, height, width, outHeight, outWidth, channels = 3) {
    const axis = (nIn, nOut) => {
        const scale = Math.fround(nOut / nIn);
        const lo = new Int32Array(nOut);
        const hi = new Int32Array(nOut);
        const w = new Float32Array(nOut);
        for (let i = 0; i < nOut; ++i) {
            let s = Math.fround(Math.fround(Math.fround(i + 0.5) / scale) - 0.5);
            s = Math.min(Math.max(s, 0), nIn - 1);
            lo[i] = Math.min(Math.floor(s), nIn - 1);
            hi[i] = Math.min(lo[i] + 1, nIn - 1);
            w[i] = Math.fround(s - lo[i]);
        }
        return { lo, hi, w };
    };
    const ys = axis(height, outHeight);
    const xs = axis(width, outWidth);
    const out = new Float32Array(outHeight * outWidth * channels);
    const at = (y, x, c) => src[(y * width + x) * channels + c];
    for (let y = 0; y < outHeight; ++y) {
        const wy = ys.w[y];
        for (let x = 0; x < outWidth; ++x) {
            const wx = xs.w[x];
            for (let c = 0; c < channels; ++c) {
                const top = at(ys.lo[y], xs.lo[x], c) * (1 - wx) + at(ys.lo[y], xs.hi[x], c) * wx;
                const bottom = at(ys.hi[y], xs.lo[x], c) * (1 - wx) + at(ys.hi[y], xs.hi[x], c) * wx;
                out[(y * outWidth + x) * channels + c] = top * (1 - wy) + bottom * wy;
            }
        }
    }
    return out;
}

function cropToChw(src, height, width, y0, x0, size) {
    const out = new Float32Array(3 * size * size);
    for (let c = 0; c < 3; ++c)
        for (let y = 0; y < size; ++y)
            for (let x = 0; x < size; ++x) {
                out[(c * size + y) * size + x] = src[((y0 + y) * width + x0 + x) * 3 + c];
            }
    return out;
}

/** One image -> { frames: Float32Array[] (CHW, tiles row-major then global), rows, cols }. */
async function preprocess(imagePath, pre, overrides) {
    const image = (await RawImage.read(path.join(REPO_ROOT, imagePath))).rgb();
    const M = pre.max_image_size.longest_edge;
    const L = pre.size.longest_edge;
    let { height, width } = image;
    if (Math.max(height, width) !== L) {
        throw new Error(`${imagePath}: longest edge is not ${L}; transformers.js would resize it with libvips`);
    }
    let hwc = normalize(image.data, pre.image_mean, pre.image_std, pre.rescale_factor);
    const split = overrides?.do_image_splitting ?? pre.do_image_splitting;
    if (!split) {
        return { frames: [cropToChw(bilinear(hwc, height, width, M, M), M, M, 0, 0, M)], rows: 0, cols: 0 };
    }
    // Both edges up to multiples of M (aspect-ratio arithmetic as in transformers.js).
    let gridH;
    let gridW;
    const aspect = width / height;
    if (width >= height) {
        gridW = Math.ceil(width / M) * M;
        gridH = Math.ceil(Math.floor(gridW / aspect) / M) * M;
    } else {
        gridH = Math.ceil(height / M) * M;
        gridW = Math.ceil(Math.floor(gridH * aspect) / M) * M;
    }
    if (gridH !== height || gridW !== width) {
        hwc = bilinear(hwc, height, width, gridH, gridW);
        [height, width] = [gridH, gridW];
    }
    if (height <= M && width <= M) return { frames: [cropToChw(hwc, height, width, 0, 0, M)], rows: 0, cols: 0 };
    const rows = Math.ceil(height / M);
    const cols = Math.ceil(width / M);
    const tileH = Math.ceil(height / rows);
    const tileW = Math.ceil(width / cols);
    const frames = [];
    for (let r = 0; r < rows; ++r) {
        for (let c = 0; c < cols; ++c) {
            const y0 = r === rows - 1 ? height - tileH : r * tileH;
            const x0 = c === cols - 1 ? width - tileW : c * tileW;
            frames.push(cropToChw(hwc, height, width, y0, x0, M));
        }
    }
    frames.push(cropToChw(bilinear(hwc, height, width, M, M), M, M, 0, 0, M));
    return { frames, rows, cols };
}

/** The text that replaces one "<image>" of the prompt. */
function imagePromptString(rows, cols, seqLen) {
    const tokens = '<image>'.repeat(seqLen);
    if (rows === 0 && cols === 0) return `<fake_token_around_image><global-img>${tokens}<fake_token_around_image>`;
    let text = '';
    for (let r = 1; r <= rows; ++r) {
        for (let c = 1; c <= cols; ++c) text += `<fake_token_around_image><row_${r}_col_${c}>${tokens}`;
        text += '\n';
    }
    return `${text}\n<fake_token_around_image><global-img>${tokens}<fake_token_around_image>`;
}

// ---------------------------------------------------------------------------------------------

async function sessions(modelDir) {
    const open = (name) => ort.InferenceSession.create(path.join(modelDir, 'onnx', `${name}.onnx`));
    const [embed, decoder, vision] = await Promise.all(
        ['embed_tokens', 'decoder_model_merged', 'vision_encoder'].map(open),
    );
    return { embed, decoder, vision };
}

function emptyPast(text, batch) {
    const past = {};
    for (let i = 0; i < text.num_hidden_layers; ++i)
        for (const kind of ['key', 'value'])
            past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
                batch,
                text.num_key_value_heads,
                0,
                text.head_dim,
            ]);
    return past;
}

function presentToPast(outputs) {
    const past = {};
    for (const [name, tensor] of Object.entries(outputs))
        if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
    return past;
}

/** cumsum(mask) - 1, padding positions 1; the last `seq` columns. */
function positionIds(mask, batch, total, seq) {
    const out = [];
    for (let b = 0; b < batch; ++b) {
        let next = 0;
        const row = [];
        for (let j = 0; j < total; ++j) row.push(mask[b * total + j] ? next++ : 1);
        out.push(...row.slice(total - seq));
    }
    return out;
}

async function runDecoder(s, embeds, mask, past) {
    const [batch, seq] = embeds.dims;
    const total = mask.length / batch;
    return s.decoder.run({
        inputs_embeds: embeds,
        attention_mask: i64(mask, [batch, total]),
        position_ids: i64(positionIds(mask, batch, total, seq), [batch, seq]),
        ...past,
    });
}

async function embedIds(s, rows) {
    return (await s.embed.run({ input_ids: i64(rows.flat(), [rows.length, rows[0].length]) })).inputs_embeds;
}

const logitRows = (logits, row, from, to) => {
    const [, seq, vocab] = logits.dims;
    return logits.data.slice((row * seq + from) * vocab, (row * seq + to) * vocab);
};

function sliceSeq(t, from, to) {
    const [b, seq, h] = t.dims;
    const data = new Float32Array(b * (to - from) * h);
    for (let r = 0; r < b; ++r) {
        data.set(t.data.slice((r * seq + from) * h, (r * seq + to) * h), r * (to - from) * h);
    }
    return new ort.Tensor('float32', data, [b, to - from, h]);
}

async function checkDecoder(s, config, label) {
    const text = config.text_config;
    const randomIds = (n) => Array.from({ length: n }, () => 3 + Math.floor(random() * (text.vocab_size - 50)));
    const length = 10;
    const prefix = 6;
    const embeds = await embedIds(s, [randomIds(length)]);
    const full = await runDecoder(s, embeds, Array(length).fill(1), emptyPast(text, 1));
    let out = await runDecoder(s, sliceSeq(embeds, 0, prefix), Array(prefix).fill(1), emptyPast(text, 1));
    expectClose(
        `${label} prefill prefix == full prefill`,
        logitRows(out.logits, 0, 0, prefix),
        logitRows(full.logits, 0, 0, prefix),
    );
    for (let t = prefix; t < length; ++t) {
        out = await runDecoder(s, sliceSeq(embeds, t, t + 1), Array(t + 1).fill(1), presentToPast(out));
        expectClose(
            `${label} cached step at ${t} == full prefill`,
            logitRows(out.logits, 0, 0, 1),
            logitRows(full.logits, 0, t, t + 1),
        );
    }

    const longIds = randomIds(9);
    const shortIds = randomIds(5);
    const pad = longIds.length - shortIds.length;
    const mask = [...Array(9).fill(1), ...Array(pad).fill(0), ...Array(5).fill(1)];
    const paddedIds = [...Array(pad).fill(config.pad_token_id), ...shortIds];
    const batchOut = await runDecoder(s, await embedIds(s, [longIds, paddedIds]), mask, emptyPast(text, 2));
    const alone = await runDecoder(s, await embedIds(s, [shortIds]), Array(5).fill(1), emptyPast(text, 1));
    expectClose(
        `${label} padded row prefill == alone`,
        logitRows(batchOut.logits, 1, pad, 9),
        logitRows(alone.logits, 0, 0, 5),
    );
    const next = randomIds(2);
    const stepMask = [...mask.slice(0, 9), 1, ...mask.slice(9), 1];
    const stepBatch = await runDecoder(s, await embedIds(s, [[next[0]], [next[1]]]), stepMask, presentToPast(batchOut));
    const stepAlone = await runDecoder(s, await embedIds(s, [[next[1]]]), Array(6).fill(1), presentToPast(alone));
    expectClose(
        `${label} padded row decode step == alone`,
        logitRows(stepBatch.logits, 1, 0, 1),
        logitRows(stepAlone.logits, 0, 0, 1),
    );
}

function visionInputs(batchFrames, size) {
    // batchFrames: per batch row, an array of CHW frames; shorter rows get zero frames, mask false.
    const n = Math.max(...batchFrames.map((f) => f.length));
    const frameSize = 3 * size * size;
    const pixels = new Float32Array(batchFrames.length * n * frameSize);
    const mask = new Uint8Array(batchFrames.length * n * size * size);
    batchFrames.forEach((frames, b) =>
        frames.forEach((frame, f) => {
            pixels.set(frame, (b * n + f) * frameSize);
            mask.fill(1, (b * n + f) * size * size, (b * n + f + 1) * size * size);
        }),
    );
    return {
        pixel_values: new ort.Tensor('float32', pixels, [batchFrames.length, n, 3, size, size]),
        pixel_attention_mask: new ort.Tensor('bool', mask, [batchFrames.length, n, size, size]),
    };
}

async function checkVision(s, config, label) {
    const size = config.vision_config.image_size;
    const frame = () => Float32Array.from({ length: 3 * size * size }, () => random() * 2 - 1);
    const frames = [frame(), frame(), frame()];
    const batched = (await s.vision.run(visionInputs([[frames[0], frames[1]], [frames[2]]], size))).image_features;
    const perFrame = batched.data.length / 3;
    report(batched.dims[0] === 3, `${label} vision: padding frame dropped`, `image_features [${batched.dims}]`);
    for (let i = 0; i < 3; ++i) {
        const alone = (await s.vision.run(visionInputs([[frames[i]]], size))).image_features;
        const inBatch = batched.data.slice(i * perFrame, (i + 1) * perFrame);
        expectClose(`${label} vision frame ${i} in a padded batch == alone`, inBatch, alone.data);
    }
}

async function checkInterpolation() {
    // [height, width] -> [height, width] pairs met by the fixtures, plus a non-integer ratio.
    const cases = [
        [[64, 64], [32, 32]],
        [[32, 64], [32, 32]],
        [[64, 32], [32, 32]],
        [[48, 64], [64, 64]],
        [[16, 32], [32, 32]],
        [[40, 24], [32, 32]],
    ];
    for (const [[h, w], [oh, ow]] of cases) {
        const hwc = Float32Array.from({ length: h * w * 3 }, () => random() * 2 - 1);
        const chw = new Float32Array(hwc.length);
        for (let y = 0; y < h; ++y) {
            for (let x = 0; x < w; ++x) {
                for (let c = 0; c < 3; ++c) chw[(c * h + y) * w + x] = hwc[(y * w + x) * 3 + c];
            }
        }
        const theirs = await interpolate_4d(new Tensor('float32', chw, [1, 3, h, w]), { size: [oh, ow] });
        const ours = cropToChw(bilinear(hwc, h, w, oh, ow), oh, ow, 0, 0, Math.min(oh, ow));
        if (oh !== ow) throw new Error('square outputs only');
        expectClose(`bilinear ${w}x${h} -> ${ow}x${oh} == interpolate_4d`, ours, theirs.data, 1e-6);
    }
}

/** All golden cases of one fixture as one left-padded batch, through the documented pipeline. */
async function checkPipeline(s, config, modelDir, goldens, tokenizer, processor, label) {
    const readJson = (name) => JSON.parse(fs.readFileSync(path.join(modelDir, name), 'utf8'));
    const pre = readJson('preprocessor_config.json');
    const seqLen = readJson('processor_config.json').image_seq_len;
    const eos = [readJson('generation_config.json').eos_token_id].flat();
    const M = pre.max_image_size.longest_edge;
    const imageId = config.image_token_id;
    const rows = [];
    for (const g of goldens.cases) {
        const paths =
            g.images ?? g.messages.flatMap(({ content }) => content.filter((p) => 'image' in p).map((p) => p.image));
        const images = [];
        for (const p of paths) images.push(await preprocess(p, pre, g.image_processor_overrides));
        const mine = images.flatMap((img) => img.frames);
        if (paths.length > 0) {
            // Element-wise against transformers.js' processor output for the same request.
            const raw = await Promise.all(paths.map((p) => RawImage.read(path.join(REPO_ROOT, p))));
            const theirs = await processor(g.rendered_prompt, raw, { ...(g.image_processor_overrides ?? {}) });
            const data = new Float32Array(mine.length * mine[0].length);
            mine.forEach((f, j) => data.set(f, j * f.length));
            expectEqual(
                `${label} ${g.id} tiles (rows, cols)`,
                images.map((img) => [img.rows, img.cols]),
                g.image_rows.map((r, i) => [r, g.image_cols[i]]),
            );
            expectClose(`${label} ${g.id} pixel_values`, data, theirs.pixel_values.data, PIXEL_TOLERANCE);
        }
        const pieces = g.rendered_prompt.split('<image>');
        let expanded = pieces[0];
        images.forEach((img, i) => (expanded += imagePromptString(img.rows, img.cols, seqLen) + pieces[i + 1]));
        const ids = Array.from(tokenizer(expanded).input_ids.data, Number);
        expectEqual(`${label} ${g.id} input_ids`, ids, g.input_ids);
        rows.push({ golden: g, ids, frames: mine });
    }

    // Prefill: left-pad, embed, overwrite <image> rows with the features of all real frames in order.
    const batch = rows.length;
    const width = Math.max(...rows.map((r) => r.ids.length));
    const padded = rows.map((r) => [...Array(width - r.ids.length).fill(config.pad_token_id), ...r.ids]);
    let mask = rows.flatMap((r) => [...Array(width - r.ids.length).fill(0), ...Array(r.ids.length).fill(1)]);
    const embeds = await embedIds(s, padded);
    const features = (await s.vision.run(visionInputs(rows.map((r) => r.frames), M))).image_features;
    const hidden = embeds.dims[2];
    let feature = 0;
    padded.forEach((ids, b) =>
        ids.forEach((id, j) => {
            if (id !== imageId) return;
            embeds.data.set(features.data.subarray(feature * hidden, (feature + 1) * hidden), (b * width + j) * hidden);
            feature++;
        }),
    );
    const featureRows = features.dims[0] * features.dims[1];
    report(feature === featureRows, `${label} batch: ${feature} image tokens == ${featureRows} feature rows`);

    let out = await runDecoder(s, embeds, mask, emptyPast(config.text_config, batch));
    const generated = rows.map(() => []);
    const done = rows.map(() => false);
    let step = out.logits.dims[1] - 1;
    for (;;) {
        const next = [];
        for (let b = 0; b < batch; ++b) {
            const logits = logitRows(out.logits, b, step, step + 1);
            let best = 0;
            for (let v = 1; v < logits.length; ++v) if (logits[v] > logits[best]) best = v;
            next.push(best);
            if (!done[b]) {
                generated[b].push(best);
                done[b] = eos.includes(best) || generated[b].length >= rows[b].golden.max_new_tokens;
            }
        }
        if (done.every(Boolean)) break;
        const total = mask.length / batch + 1;
        const grown = [];
        for (let b = 0; b < batch; ++b) grown.push(...mask.slice(b * (total - 1), (b + 1) * (total - 1)), 1);
        mask = grown;
        out = await runDecoder(s, await embedIds(s, next.map((id) => [id])), mask, presentToPast(out));
        step = 0;
    }
    rows.forEach((r, b) =>
        expectEqual(`${label} ${r.golden.id} generated_ids (batch of ${batch})`, generated[b], r.golden.generated_ids),
    );
}

const DEFAULT_MODELS = ['testdata/models/tiny-idefics3', 'testdata/models/tiny-smolvlm'];
const modelDirs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_MODELS;
await checkInterpolation();
for (const dir of modelDirs) {
    const modelDir = path.resolve(REPO_ROOT, dir);
    const label = path.basename(modelDir);
    const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
    const s = await sessions(modelDir);
    await checkDecoder(s, config, label);
    await checkVision(s, config, label);
    const goldenFile = path.join(REPO_ROOT, 'testdata/goldens', `${label}.json`);
    if (fs.existsSync(goldenFile)) {
        const tokenizer = await AutoTokenizer.from_pretrained(modelDir);
        const processor = await AutoProcessor.from_pretrained(modelDir);
        const goldens = JSON.parse(fs.readFileSync(goldenFile, 'utf8'));
        await checkPipeline(s, config, modelDir, goldens, tokenizer, processor, label);
    } else {
        report(false, `${label}: no goldens at ${path.relative(REPO_ROOT, goldenFile)}`);
    }
}
console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

// Self-consistency checks of a generated LLaVA export, run with onnxruntime-node:
//   - decoder: one prefill over the whole sequence == prefill of a prefix + one-token steps with the cache
//   - decoder: a left-padded row in a batch == the same sequence run alone (prefill and a decode step)
//   - vision encoder: a batch of two images == each image alone
//
//   cd tools/reference && node verify_model.mjs [model dir, default testdata/models/tiny-llava]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelDir = path.resolve(REPO_ROOT, process.argv[2] ?? 'testdata/models/tiny-llava');
const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
const text = config.text_config;
const vision = config.vision_config;
const TOLERANCE = 1e-4;

const session = (name) => ort.InferenceSession.create(path.join(modelDir, 'onnx', `${name}.onnx`));
const [embed, decoder, encoder] = await Promise.all([
    session('embed_tokens'),
    session('decoder_model_merged'),
    session('vision_encoder'),
]);

// Deterministic pseudo-random numbers (mulberry32), so failures are reproducible.
let state = 12345;
function random() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randomIds = (n) => Array.from({ length: n }, () => 3 + Math.floor(random() * (text.vocab_size - 5)));

const i64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

async function embedRows(rows) {
    const ids = rows.flat();
    const out = await embed.run({ input_ids: i64(ids, [rows.length, rows[0].length]) });
    return out.inputs_embeds;
}

function emptyPast(batch) {
    const past = {};
    for (let i = 0; i < text.num_hidden_layers; ++i) {
        for (const kind of ['key', 'value']) {
            const dims = [batch, text.num_key_value_heads, 0, text.head_dim];
            past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), dims);
        }
    }
    return past;
}

function presentToPast(outputs) {
    const past = {};
    for (const [name, tensor] of Object.entries(outputs)) {
        if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
    }
    return past;
}

/** Position ids the way transformers.js builds them: cumsum(mask) - 1, padding set to 1. */
function positions(mask, batch, total, seq) {
    const out = [];
    for (let b = 0; b < batch; ++b) {
        let next = 0;
        const row = [];
        for (let j = 0; j < total; ++j) {
            const m = mask[b * total + j];
            row.push(m ? next++ : 1);
        }
        out.push(...row.slice(total - seq));
    }
    return out;
}

async function runDecoder(embeds, mask, past) {
    const [batch, seq] = embeds.dims;
    const total = mask.length / batch;
    return decoder.run({
        inputs_embeds: embeds,
        attention_mask: i64(mask, [batch, total]),
        position_ids: i64(positions(mask, batch, total, seq), [batch, seq]),
        ...past,
    });
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
    const ok = a.length === b.length && worst <= TOLERANCE;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: max |diff| ${worst.toExponential(2)}`);
}

// 1. Prefill of the whole sequence vs prefix prefill + cached single-token steps.
{
    const length = 10;
    const prefix = 6;
    const embeds = await embedRows([randomIds(length)]);
    const full = await runDecoder(embeds, Array(length).fill(1), emptyPast(1));
    let out = await runDecoder(sliceSeq(embeds, 0, prefix), Array(prefix).fill(1), emptyPast(1));
    expectClose('prefill prefix == full prefill', logitRows(out.logits, 0, 0, prefix), logitRows(full.logits, 0, 0, prefix));
    for (let t = prefix; t < length; ++t) {
        out = await runDecoder(sliceSeq(embeds, t, t + 1), Array(t + 1).fill(1), presentToPast(out));
        expectClose(`cached step at ${t} == full prefill`, logitRows(out.logits, 0, 0, 1), logitRows(full.logits, 0, t, t + 1));
    }
}

// 2. Left padding: row 1 is shorter and padded on the left; it must match running it alone.
{
    const longIds = randomIds(9);
    const shortIds = randomIds(5);
    const pad = longIds.length - shortIds.length;
    const padded = [...Array(pad).fill(config.pad_token_id), ...shortIds];
    const batchEmbeds = await embedRows([longIds, padded]);
    const mask = [...Array(longIds.length).fill(1), ...Array(pad).fill(0), ...Array(shortIds.length).fill(1)];
    const batchOut = await runDecoder(batchEmbeds, mask, emptyPast(2));

    const alone = await runDecoder(await embedRows([shortIds]), Array(shortIds.length).fill(1), emptyPast(1));
    expectClose('padded row prefill == alone', logitRows(batchOut.logits, 1, pad, longIds.length), logitRows(alone.logits, 0, 0, shortIds.length));
    const longAlone = await runDecoder(await embedRows([longIds]), Array(longIds.length).fill(1), emptyPast(1));
    expectClose('unpadded row prefill == alone', logitRows(batchOut.logits, 0, 0, longIds.length), logitRows(longAlone.logits, 0, 0, longIds.length));

    const next = randomIds(2);
    const stepBatch = await runDecoder(await embedRows([[next[0]], [next[1]]]), [...mask.slice(0, 9), 1, ...mask.slice(9), 1], presentToPast(batchOut));
    const stepAlone = await runDecoder(await embedRows([[next[1]]]), Array(shortIds.length + 1).fill(1), presentToPast(alone));
    expectClose('padded row decode step == alone', logitRows(stepBatch.logits, 1, 0, 1), logitRows(stepAlone.logits, 0, 0, 1));
}

// 3. Vision encoder batch invariance.
{
    const size = 3 * vision.image_size * vision.image_size;
    const images = [0, 1].map(() => Float32Array.from({ length: size }, () => random() * 4 - 2));
    const dims = [1, 3, vision.image_size, vision.image_size];
    const both = await encoder.run({ pixel_values: new ort.Tensor('float32', Float32Array.from([...images[0], ...images[1]]), [2, ...dims.slice(1)]) });
    const features = both.image_features;
    const perImage = features.data.length / 2;
    console.log(`     image_features dims [${features.dims}]`);
    for (const i of [0, 1]) {
        const one = await encoder.run({ pixel_values: new ort.Tensor('float32', images[i], dims) });
        expectClose(`vision batch row ${i} == alone`, features.data.slice(i * perImage, (i + 1) * perImage), one.image_features.data);
    }
}

console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

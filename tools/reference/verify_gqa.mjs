// Checks that the GroupQueryAttention decoder (tiny-llava-gqa) computes what the concat decoder
// (tiny-llava) computes, and pins down how a caller drives it with KV buffers shared between
// past input and present output. Run with onnxruntime-node:
//
//   cd tools/reference && node verify_gqa.mjs [--gqa dir] [--concat dir] [--goldens file]
//
// 1. prefill logits of both decoders agree (every position)
// 2. 20 greedy decode steps: same tokens, close logits
// 3. chunked prefill (batch 1) == one prefill; a chunk with batch > 1 is refused by the op
// 4. a batch of rows with different past lengths (no padding) == each row alone, with the
//    rows' KV slots being views into one arena that each row was prefilled into alone
// 5. batched prefill of right-padded prompts == each prompt alone
// 6. in place: the past buffer bound as the present output is updated in place; only the new
//    positions change; the same step without binding gives the same logits and KV
// 7. the graph also runs with growing (concatenated) KV, as transformers.js would drive it
// 8. every golden case of the concat model (testdata/goldens, made by transformers.js) gives the
//    golden tokens with both decoders driven by this script
//
// Unwritten KV slots are filled with NaN, so any read of a position past a row's length shows.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const flag = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return path.resolve(REPO_ROOT, i >= 0 ? process.argv[i + 1] : fallback);
};
const gqaDir = flag('--gqa', 'testdata/models/tiny-llava-gqa');
const concatDir = flag('--concat', 'testdata/models/tiny-llava');
const goldensFile = flag('--goldens', 'testdata/goldens/tiny-llava.json');

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const config = readJson(path.join(gqaDir, 'config.json'));
const genai = readJson(path.join(gqaDir, 'genai_config.json')).model;
const LAYERS = genai.decoder.num_hidden_layers;
const KV_HEADS = genai.decoder.num_key_value_heads;
const HEAD_SIZE = genai.decoder.head_size;
const HIDDEN = genai.decoder.hidden_size;
const MAX_LEN = genai.context_length;
const VOCAB = genai.vocab_size;
const EOS = genai.eos_token_id;
const IMAGE_TOKEN = config.image_token_index;
const TOLERANCE = 1e-4;

// Fatal-only logging: check 3 provokes an error on purpose; errors still reach us as exceptions.
const session = (dir, name) => ort.InferenceSession.create(path.join(dir, 'onnx', `${name}.onnx`), { logSeverityLevel: 4 });
const [embed, vision, concat, gqa] = await Promise.all([
    session(gqaDir, 'embed_tokens'),
    session(gqaDir, 'vision_encoder'),
    session(concatDir, 'decoder_model_merged'),
    session(gqaDir, 'decoder_model_merged'),
]);

// Deterministic pseudo-random numbers (mulberry32), so failures are reproducible.
let state = 4242;
function random() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randomIds = (n) => Array.from({ length: n }, () => 3 + Math.floor(random() * (VOCAB - 5)));

const i64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
const f32 = (values, dims) => new ort.Tensor('float32', values, dims);
const kvNames = (prefix) =>
    Array.from({ length: LAYERS }, (_, i) => ['key', 'value'].map((kind) => `${prefix}.${i}.${kind}`)).flat();
const PAST_NAMES = kvNames('past_key_values');
const PRESENT_NAMES = kvNames('present');

let failures = 0;
function check(ok, label, detail = '') {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
}
function maxDiff(a, b) {
    if (a.length !== b.length) return Infinity;
    let worst = 0;
    for (let i = 0; i < a.length; ++i) {
        const d = Math.abs(a[i] - b[i]);
        if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    }
    return worst;
}
function expectClose(label, a, b, tolerance = TOLERANCE) {
    const worst = maxDiff(a, b);
    check(worst <= tolerance, label, `max |diff| ${worst.toExponential(2)}`);
    return worst;
}
const sameIds = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// ---- embeddings ----

/** [rows.length, len, hidden] embeddings of equal-length id rows. */
async function embedRows(rows) {
    const out = await embed.run({ input_ids: i64(rows.flat(), [rows.length, rows[0].length]) });
    return out.inputs_embeds;
}

/** Embeds one prompt and writes image feature rows over its <image> positions, in order. */
async function promptEmbeds(ids, features) {
    const embeds = await embedRows([ids]);
    let next = 0;
    ids.forEach((id, pos) => {
        if (id !== IMAGE_TOKEN) return;
        embeds.data.set(features.subarray(next * HIDDEN, (next + 1) * HIDDEN), pos * HIDDEN);
        next++;
    });
    if (features && next * HIDDEN !== features.length) throw new Error('image tokens and feature rows differ');
    return embeds;
}

function sliceSeq(embeds, from, to) {
    const [b, s, h] = embeds.dims;
    const data = new Float32Array(b * (to - from) * h);
    for (let r = 0; r < b; ++r) data.set(embeds.data.subarray((r * s + from) * h, (r * s + to) * h), r * (to - from) * h);
    return f32(data, [b, to - from, h]);
}

/** Stacks [1, s_i, h] tensors into [n, max s, h], padding on the right with zeros. */
function stackRight(tensors) {
    const width = Math.max(...tensors.map((t) => t.dims[1]));
    const data = new Float32Array(tensors.length * width * HIDDEN);
    tensors.forEach((t, r) => data.set(t.data, r * width * HIDDEN));
    return f32(data, [tensors.length, width, HIDDEN]);
}

/** Logits of row `row`, positions [from, to) of a [b, s, V] tensor. */
function logitRows(logits, row, from, to) {
    const [, s, v] = logits.dims;
    return logits.data.subarray((row * s + from) * v, (row * s + to) * v);
}
function argmax(values) {
    let best = 0;
    for (let i = 1; i < values.length; ++i) if (values[i] > values[best]) best = i;
    return best;
}

// ---- concat decoder, driven like transformers.js drives it ----

const emptyPast = (batch) =>
    Object.fromEntries(PAST_NAMES.map((n) => [n, f32(new Float32Array(0), [batch, KV_HEADS, 0, HEAD_SIZE])]));
const presentToPast = (outputs) =>
    Object.fromEntries(PRESENT_NAMES.map((n, i) => [PAST_NAMES[i], outputs[n]]));

/** One unpadded row: positions are past .. past + seq - 1. */
async function runConcat(embeds, past) {
    const seq = embeds.dims[1];
    const pastLen = past[PAST_NAMES[0]].dims[2];
    const total = pastLen + seq;
    return concat.run({
        inputs_embeds: embeds,
        attention_mask: i64(Array(total).fill(1), [1, total]),
        position_ids: i64(Array.from({ length: seq }, (_, i) => pastLen + i), [1, seq]),
        ...past,
    });
}

// ---- GQA decoder with shared KV buffers ----

/**
 * Per-layer key/value buffers [batch, kv_heads, MAX_LEN, head_size], NaN until written. `over`
 * makes them views of rows [first, first + batch) of another cache's memory (a slot arena).
 */
class SharedKv {
    constructor(batch, over = null, first = 0) {
        this.batch = batch;
        const rowSize = KV_HEADS * MAX_LEN * HEAD_SIZE;
        this.data = PAST_NAMES.map((_, i) =>
            over ? over.data[i].subarray(first * rowSize, (first + batch) * rowSize) : new Float32Array(batch * rowSize).fill(NaN));
        this.tensors = this.data.map((d) => f32(d, [batch, KV_HEADS, MAX_LEN, HEAD_SIZE]));
    }

    feeds() {
        return Object.fromEntries(PAST_NAMES.map((n, i) => [n, this.tensors[i]]));
    }

    /** The same tensors as pre-allocated outputs: ORT sees past == present and writes in place. */
    fetches() {
        return Object.fromEntries(PRESENT_NAMES.map((n, i) => [n, this.tensors[i]]));
    }

    /** Positions [0, length) of one row, all heads, one buffer. */
    valid(buffer, row, length) {
        const rowSize = KV_HEADS * MAX_LEN * HEAD_SIZE;
        const out = [];
        for (let h = 0; h < KV_HEADS; ++h) {
            const start = row * rowSize + h * MAX_LEN * HEAD_SIZE;
            out.push(...this.data[buffer].subarray(start, start + length * HEAD_SIZE));
        }
        return out;
    }
}

/**
 * attention_mask [batch, width]: row b has lengths[b] ones (its past + new tokens) then zeros.
 * The graph only sums each row (seqlens_k = sum - 1) and takes the width as
 * total_sequence_length, so the layout of the ones does not matter, only their count.
 */
function lengthMask(lengths, width) {
    const values = lengths.flatMap((n) => [...Array(n).fill(1), ...Array(width - n).fill(0)]);
    return i64(values, [lengths.length, width]);
}

/** One step in place: `lengths` are each row's total length after this step. */
async function runGqa(embeds, lengths, kv, width = Math.max(...lengths)) {
    const out = await gqa.run(
        { inputs_embeds: embeds, attention_mask: lengthMask(lengths, width), ...kv.feeds() },
        { logits: null, ...kv.fetches() },
    );
    return out.logits;
}

// ---- greedy loops ----

async function greedyConcat(embeds, steps, stopAtEos = false) {
    let out = await runConcat(embeds, emptyPast(1));
    const tokens = [];
    const logits = [];
    for (let step = 0; step < steps; ++step) {
        const last = logitRows(out.logits, 0, out.logits.dims[1] - 1, out.logits.dims[1]).slice();
        logits.push(last);
        tokens.push(argmax(last));
        if ((stopAtEos && tokens.at(-1) === EOS) || step === steps - 1) break;
        out = await runConcat(await embedRows([[tokens.at(-1)]]), presentToPast(out));
    }
    return { tokens, logits };
}

async function greedyGqa(embeds, steps, stopAtEos = false) {
    const kv = new SharedKv(1);
    let length = embeds.dims[1];
    let out = await runGqa(embeds, [length], kv);
    const tokens = [];
    const logits = [];
    for (let step = 0; step < steps; ++step) {
        const last = logitRows(out, 0, out.dims[1] - 1, out.dims[1]).slice();
        logits.push(last);
        tokens.push(argmax(last));
        if ((stopAtEos && tokens.at(-1) === EOS) || step === steps - 1) break;
        out = await runGqa(await embedRows([[tokens.at(-1)]]), [++length], kv);
    }
    return { tokens, logits };
}

async function randomImageFeatures() {
    const size = 3 * 32 * 32;
    const pixels = Float32Array.from({ length: size }, () => random() * 4 - 2);
    const out = await vision.run({ pixel_values: f32(pixels, [1, 3, 32, 32]) });
    return out.image_features.data;
}

/** <s>, 16 image tokens, then text: the shape of a real LLaVA prompt. */
async function imagePrompt(textLength) {
    const ids = [1, ...Array(16).fill(IMAGE_TOKEN), ...randomIds(textLength)];
    return promptEmbeds(ids, await randomImageFeatures());
}

// 1 + 2. Prefill and greedy decoding, concat vs GQA.
{
    const embeds = await imagePrompt(14);
    const seq = embeds.dims[1];
    const concatOut = await runConcat(embeds, emptyPast(1));
    const kv = new SharedKv(1);
    const gqaLogits = await runGqa(embeds, [seq], kv);
    expectClose(`prefill logits, ${seq} positions, GQA == concat`, gqaLogits.data, concatOut.logits.data);

    const steps = 20;
    const a = await greedyConcat(embeds, steps + 1);
    const b = await greedyGqa(embeds, steps + 1);
    check(sameIds(a.tokens, b.tokens), `${steps} greedy decode steps give the same tokens`, `[${b.tokens.join(',')}]`);
    let worst = 0;
    a.logits.forEach((l, i) => (worst = Math.max(worst, maxDiff(l, b.logits[i]))));
    check(worst <= TOLERANCE, 'decode-step logits GQA == concat', `max |diff| ${worst.toExponential(2)} over ${a.logits.length} steps`);
}

// 3. Chunked prefill: prefix, then a chunk of several tokens on top of the cache (batch 1 only).
{
    const embeds = await imagePrompt(12);
    const seq = embeds.dims[1];
    const full = await runConcat(embeds, emptyPast(1));
    const kv = new SharedKv(1);
    const split = 20;
    await runGqa(sliceSeq(embeds, 0, split), [split], kv);
    const chunk = await runGqa(sliceSeq(embeds, split, seq), [seq], kv);
    expectClose(`chunk of ${seq - split} after a prefix of ${split} == one prefill`, chunk.data, logitRows(full.logits, 0, split, seq));

    const two = new SharedKv(2);
    const prefix = await embedRows([randomIds(4), randomIds(4)]);
    await runGqa(prefix, [4, 4], two);
    let refused = '';
    try {
        await runGqa(await embedRows([randomIds(3), randomIds(3)]), [7, 7], two);
    } catch (e) {
        refused = String(e.message ?? e);
    }
    check(refused.includes('batch_size must be 1'), 'a chunk (seq > 1 on a past) with batch 2 is refused', refused.split('\n')[0]);
}

// 4. Rows with different past lengths decode in one batch, no padding. Each row is prefilled
// alone into its slot of an arena (a view, written in place), then the whole arena decodes.
{
    const lengths = [7, 19, 12];
    const rows = lengths.length;
    const prompts = await Promise.all(lengths.map((n) => embedRows([[1, ...randomIds(n - 1)]])));
    const steps = 6;

    const alone = [];
    for (const p of prompts) {
        alone.push(await greedyGqa(p, steps + 1));
    }

    const arena = new SharedKv(rows);
    const current = [...lengths];
    for (let r = 0; r < rows; ++r) {
        const slot = new SharedKv(1, arena, r);
        const logits = await runGqa(prompts[r], [lengths[r]], slot);
        const last = logitRows(logits, 0, lengths[r] - 1, lengths[r]);
        expectClose(`row ${r} prefilled into its arena slot == alone`, last, alone[r].logits[0]);
    }
    let worst = 0;
    let tokensMatch = true;
    for (let step = 0; step < steps; ++step) {
        const ids = alone.map((a) => [a.tokens[step]]);
        for (let r = 0; r < rows; ++r) current[r]++;
        const logits = await runGqa(await embedRows(ids), current, arena);
        for (let r = 0; r < rows; ++r) {
            const row = logitRows(logits, r, 0, 1);
            worst = Math.max(worst, maxDiff(row, alone[r].logits[step + 1]));
            tokensMatch &&= argmax(row) === alone[r].tokens[step + 1];
        }
    }
    check(worst <= TOLERANCE && tokensMatch,
        `batch of ${rows} rows with past lengths [${lengths}] decodes ${steps} steps == each row alone`,
        `max |diff| ${worst.toExponential(2)}`);

    // The arena holds exactly what each row alone would hold, and nothing past each row's length.
    let untouched = true;
    for (let r = 0; r < rows; ++r) {
        const rowData = arena.valid(0, r, MAX_LEN);
        for (let h = 0; h < KV_HEADS; ++h) {
            const tail = rowData.slice((h * MAX_LEN + current[r]) * HEAD_SIZE, (h + 1) * MAX_LEN * HEAD_SIZE);
            untouched &&= tail.every(Number.isNaN);
        }
    }
    check(untouched, 'arena positions past each row\'s length are never written');

    // Only the count of ones per mask row matters: ones on the right give the same logits.
    const ids = alone.map((a) => [a.tokens[steps]]);
    const embedsNext = await embedRows(ids);
    const width = Math.max(...current) + 1;
    const next = current.map((n) => n + 1);
    const copy = new SharedKv(rows);
    copy.data.forEach((d, i) => d.set(arena.data[i]));
    const leftMask = i64(next.flatMap((n) => [...Array(width - n).fill(0), ...Array(n).fill(1)]), [rows, width]);
    const viaLeft = await gqa.run({ inputs_embeds: embedsNext, attention_mask: leftMask, ...copy.feeds() }, { logits: null, ...copy.fetches() });
    const wide = new SharedKv(rows);
    wide.data.forEach((d, i) => d.set(arena.data[i]));
    const viaWide = await runGqa(embedsNext, next, wide, MAX_LEN);
    const viaRight = await runGqa(embedsNext, next, arena, width);
    expectClose('mask layout is irrelevant (ones left vs right), only row sums count', viaLeft.logits.data, viaRight.data, 0);
    expectClose(`a decode mask may be wider than the longest row (width ${MAX_LEN})`, viaWide.data, viaRight.data, 0);
}

// 5. Batched prefill: prompts of different lengths, right-padded into one call.
{
    const lengths = [9, 4, 13];
    const prompts = await Promise.all(lengths.map((n) => embedRows([[1, ...randomIds(n - 1)]])));
    const kv = new SharedKv(lengths.length);
    const logits = await runGqa(stackRight(prompts), lengths, kv);
    let worst = 0;
    for (let r = 0; r < lengths.length; ++r) {
        const ref = await runConcat(prompts[r], emptyPast(1));
        worst = Math.max(worst, maxDiff(logitRows(logits, r, 0, lengths[r]), ref.logits.data));
    }
    check(worst <= TOLERANCE, `right-padded batched prefill, lengths [${lengths}] == each prompt alone (concat)`, `max |diff| ${worst.toExponential(2)}`);
    const step = await runGqa(await embedRows(lengths.map(() => [5])), lengths.map((n) => n + 1), kv);
    let stepWorst = 0;
    for (let r = 0; r < lengths.length; ++r) {
        const ref = await runConcat(await embedRows([[5]]), presentToPast(await runConcat(prompts[r], emptyPast(1))));
        stepWorst = Math.max(stepWorst, maxDiff(logitRows(step, r, 0, 1), ref.logits.data));
    }
    check(stepWorst <= TOLERANCE, 'next decode step after the padded prefill == alone', `max |diff| ${stepWorst.toExponential(2)}`);
}

// 6. In place vs not: the bound step updates the past buffer itself; an unbound step returns a
// fresh present with the same shape ([.., MAX_LEN, ..], max of past length and total length).
{
    const embeds = await imagePrompt(6);
    const seq = embeds.dims[1];
    const kv = new SharedKv(1);
    await runGqa(embeds, [seq], kv);
    const before = kv.data.map((d) => d.slice());
    const input = await embedRows([[42]]);

    const unbound = await gqa.run({ inputs_embeds: input, attention_mask: lengthMask([seq + 1], seq + 1), ...kv.feeds() });
    check(kv.data.every((d, i) => d.every((v, j) => Object.is(v, before[i][j]))), 'an unbound step leaves the past buffers untouched');
    const dims = unbound[PRESENT_NAMES[0]].dims;
    check(dims.join() === [1, KV_HEADS, MAX_LEN, HEAD_SIZE].join(), 'unbound present has the past buffer\'s shape', `[${dims}]`);

    const outputs = await gqa.run(
        { inputs_embeds: input, attention_mask: lengthMask([seq + 1], seq + 1), ...kv.feeds() },
        { logits: null, ...kv.fetches() },
    );
    expectClose('bound (in-place) step logits == unbound step logits', outputs.logits.data, unbound.logits.data, 0);
    let changedOnlyNew = true;
    let matchesUnbound = true;
    for (let i = 0; i < PAST_NAMES.length; ++i) {
        for (let h = 0; h < KV_HEADS; ++h) {
            for (let p = 0; p < MAX_LEN; ++p) {
                const at = (h * MAX_LEN + p) * HEAD_SIZE;
                const now = kv.data[i].subarray(at, at + HEAD_SIZE);
                const old = before[i].subarray(at, at + HEAD_SIZE);
                const same = now.every((v, j) => Object.is(v, old[j]));
                if (p === seq ? same : !same) changedOnlyNew = false;
                if (p <= seq) matchesUnbound &&= maxDiff(now, unbound[PRESENT_NAMES[i]].data.subarray(at, at + HEAD_SIZE)) === 0;
            }
        }
    }
    check(changedOnlyNew, `in place: only position ${seq} of each buffer changed, the rest (incl. NaN slots) untouched`);
    check(matchesUnbound, 'in place: positions 0..total-1 equal the unbound present');
}

// 7. Growing KV (past of length 0, presents fed back as pasts): the same graph works without
// preallocated buffers, the way transformers.js drives decoders.
{
    const embeds = await imagePrompt(5);
    const seq = embeds.dims[1];
    const first = await gqa.run({ inputs_embeds: embeds, attention_mask: lengthMask([seq], seq), ...emptyPast(1) });
    check(first[PRESENT_NAMES[0]].dims[2] === seq, 'growing mode: present length == total length', `[${first[PRESENT_NAMES[0]].dims}]`);
    const next = await gqa.run({ inputs_embeds: await embedRows([[7]]), attention_mask: lengthMask([seq + 1], seq + 1), ...presentToPast(first) });
    const ref = await runConcat(await embedRows([[7]]), presentToPast(await runConcat(embeds, emptyPast(1))));
    expectClose('growing-mode decode step == concat', next.logits.data, ref.logits.data);
}

// 8. Golden cases: both decoders, driven here (not by transformers.js), give the golden tokens.
{
    const goldens = readJson(goldensFile);
    const cases = goldens.cases.filter((c) => path.resolve(REPO_ROOT, c.model) === concatDir);
    if (cases.length === 0) console.log(`skip golden cases: none in ${path.relative(REPO_ROOT, goldensFile)} is for ${path.relative(REPO_ROOT, concatDir)}`);
    const mean = [0.48145466, 0.4578275, 0.40821073];
    const std = [0.26862954, 0.26130258, 0.27577711];
    for (const c of cases) {
        let features = null;
        if (c.pixel_values.length > 0) {
            // 32x32 fixtures: resize/crop are no-ops, alpha is dropped, then rescale + normalize (CHW).
            const { data, info } = await sharp(path.join(REPO_ROOT, c.pixel_values[0].image)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
            if (info.width !== 32 || info.height !== 32 || info.channels !== 3) throw new Error(`${c.id}: expected a 32x32 RGB(A) image`);
            const pixels = new Float32Array(3 * 32 * 32);
            for (let i = 0; i < 32 * 32; ++i) for (let ch = 0; ch < 3; ++ch) pixels[ch * 1024 + i] = (data[i * 3 + ch] / 255 - mean[ch]) / std[ch];
            const sum = pixels.reduce((s, v) => s + v, 0);
            if (Math.abs(sum - c.pixel_values[0].sum) > 1e-2) throw new Error(`${c.id}: pixel sum ${sum} != golden ${c.pixel_values[0].sum}`);
            features = (await vision.run({ pixel_values: f32(pixels, [1, 3, 32, 32]) })).image_features.data;
        }
        const embeds = await promptEmbeds(c.input_ids, features);
        const viaConcat = await greedyConcat(embeds, c.max_new_tokens, true);
        const viaGqa = await greedyGqa(embeds, c.max_new_tokens, true);
        check(sameIds(viaConcat.tokens, c.generated_ids) && sameIds(viaGqa.tokens, c.generated_ids),
            `golden ${c.id}: concat and GQA give the ${c.generated_ids.length} golden tokens`,
            sameIds(viaGqa.tokens, c.generated_ids) ? '' : `GQA [${viaGqa.tokens}] concat [${viaConcat.tokens}] golden [${c.generated_ids}]`);
    }
}

console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

// Self-consistency checks of the tiny Qwen2-VL / Qwen2.5-VL exports, run with onnxruntime-node:
//   - the graphs' IO names are the ones transformers.js feeds for the model_type (vision grid input)
//   - decoder: one prefill == prefill of a prefix + one-token steps with the cache (3-D positions)
//   - decoder: a left-padded row in a batch == the same sequence alone (prefill and a decode step)
//   - decoder: the height and width position rows both reach the logits (M-RoPE is wired)
//   - vision encoder: two images in one call == each image alone; rows = patches / merge^2
//   - vision encoder: the grid shapes the features (same rows, transposed grid -> other features)
//   - transformers.js loads the directory with its own class and generates
//
//   cd tools/reference && node verify_qwen2_vl.mjs [model dir ...]
//   (default: testdata/models/tiny-qwen2-vl and testdata/models/tiny-qwen2.5-vl)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoModelForImageTextToText, AutoProcessor, env } from '@huggingface/transformers';

env.allowRemoteModels = false;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_DIRS = ['testdata/models/tiny-qwen2-vl', 'testdata/models/tiny-qwen2.5-vl'];
const TOLERANCE = 1e-4;
// The vision encoder input name transformers.js 4.3.1 uses for the grid, per model_type.
const GRID_INPUT = { qwen2_vl: 'grid_thw', qwen2_5_vl: 'image_grid_thw' };

let failures = 0;
function expect(ok, label, detail = '') {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
}
function expectClose(label, a, b) {
    let worst = 0;
    for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(a.length === b.length && worst <= TOLERANCE, label, `max |diff| ${worst.toExponential(2)}`);
}
function expectDifferent(label, a, b, atLeast = 1e-3) {
    let worst = 0;
    for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst >= atLeast, label, `max |diff| ${worst.toExponential(2)}`);
}

// Deterministic pseudo-random numbers (mulberry32), so failures are reproducible.
let state = 4242;
function random() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const i64 = (values, dims) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
const f32 = (values, dims) => new ort.Tensor('float32', Float32Array.from(values), dims);

async function verify(modelDir) {
    const absDir = path.resolve(REPO_ROOT, modelDir);
    const config = JSON.parse(fs.readFileSync(path.join(absDir, 'config.json'), 'utf8'));
    const pre = JSON.parse(fs.readFileSync(path.join(absDir, 'preprocessor_config.json'), 'utf8'));
    const text = config.text_config ?? config;
    const headDim = text.head_dim ?? text.hidden_size / text.num_attention_heads;
    console.log(`== ${modelDir} (${config.model_type})`);

    const session = (name) => ort.InferenceSession.create(path.join(absDir, 'onnx', `${name}.onnx`));
    const [embed, decoder, encoder] = await Promise.all([
        session('embed_tokens'),
        session('decoder_model_merged'),
        session('vision_encoder'),
    ]);

    // IO names
    const gridName = GRID_INPUT[config.model_type];
    expect(
        JSON.stringify(encoder.inputNames) === JSON.stringify(['pixel_values', gridName]) &&
            JSON.stringify(encoder.outputNames) === JSON.stringify(['image_features']),
        'vision encoder IO names',
        `${encoder.inputNames} -> ${encoder.outputNames}`,
    );
    const pastNames = [];
    for (let i = 0; i < text.num_hidden_layers; ++i) pastNames.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
    expect(
        JSON.stringify(decoder.inputNames) ===
            JSON.stringify(['inputs_embeds', 'attention_mask', 'position_ids', ...pastNames]),
        'decoder input names',
        decoder.inputNames.join(', '),
    );

    const randomIds = (n) => Array.from({ length: n }, () => Math.floor(random() * 480));
    async function embedRows(rows) {
        const out = await embed.run({ input_ids: i64(rows.flat(), [rows.length, rows[0].length]) });
        return out.inputs_embeds;
    }
    function emptyPast(batch) {
        const past = {};
        for (const name of pastNames) {
            past[name] = new ort.Tensor('float32', new Float32Array(0), [batch, text.num_key_value_heads, 0, headDim]);
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
    /** positions: [batch][3][seq] */
    async function runDecoder(embeds, mask, positions, past) {
        const [batch, seq] = embeds.dims;
        const flat = [];
        for (let r = 0; r < 3; ++r) for (let b = 0; b < batch; ++b) flat.push(...positions[b][r]);
        return decoder.run({
            inputs_embeds: embeds,
            attention_mask: i64(mask, [batch, mask.length / batch]),
            position_ids: i64(flat, [3, batch, seq]),
            ...past,
        });
    }
    const logitRows = (logits, row, from, to) => {
        const [, s, v] = logits.dims;
        return logits.data.slice((row * s + from) * v, (row * s + to) * v);
    };
    function sliceSeq(embeds, from, to) {
        const [b, s, h] = embeds.dims;
        const data = new Float32Array(b * (to - from) * h);
        for (let r = 0; r < b; ++r) data.set(embeds.data.slice((r * s + from) * h, (r * s + to) * h), r * (to - from) * h);
        return new ort.Tensor('float32', data, [b, to - from, h]);
    }
    const slicePos = (pos, from, to) => pos.map((row) => row.slice(from, to));

    // M-RoPE positions of "3 text tokens, a 2x3 image block, 3 text tokens" (as get_rope_index
    // builds them): text counts up on all rows, the image block spreads over height and width.
    const imageLike = [
        [0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8],
        [0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8],
        [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8],
    ];
    const length = imageLike[0].length;

    // 1. Full prefill vs prefix prefill + cached steps.
    {
        const prefix = 7;
        const embeds = await embedRows([randomIds(length)]);
        const full = await runDecoder(embeds, Array(length).fill(1), [imageLike], emptyPast(1));
        let out = await runDecoder(sliceSeq(embeds, 0, prefix), Array(prefix).fill(1), [slicePos(imageLike, 0, prefix)], emptyPast(1));
        expectClose('prefill prefix == full prefill', logitRows(out.logits, 0, 0, prefix), logitRows(full.logits, 0, 0, prefix));
        for (let t = prefix; t < length; ++t) {
            out = await runDecoder(sliceSeq(embeds, t, t + 1), Array(t + 1).fill(1), [slicePos(imageLike, t, t + 1)], presentToPast(out));
            expectClose(`cached step at ${t} == full prefill`, logitRows(out.logits, 0, 0, 1), logitRows(full.logits, 0, t, t + 1));
        }

        // 3. Height and width rows both matter: swapping them changes the logits after the image.
        const swapped = [imageLike[0], imageLike[2], imageLike[1]];
        const other = await runDecoder(embeds, Array(length).fill(1), [swapped], emptyPast(1));
        expectDifferent('swapping height/width positions changes the logits', logitRows(other.logits, 0, 4, length), logitRows(full.logits, 0, 4, length));
    }

    // 2. Left padding: row 1 is shorter and padded on the left (padding positions 0, as
    // transformers.js's get_rope_index leaves them); it must match running it alone.
    {
        const longIds = randomIds(length);
        const shortLen = 8;
        const pad = length - shortLen;
        const shortIds = randomIds(shortLen);
        const shortPos = [[0, 1, 2, 2, 2, 2, 2, 5], [0, 1, 2, 2, 3, 3, 4, 5], [0, 1, 2, 3, 2, 3, 4, 5]];
        const padded = [...Array(pad).fill(config.pad_token_id ?? 0), ...shortIds];
        const paddedPos = shortPos.map((row) => [...Array(pad).fill(0), ...row]);
        const mask = [...Array(length).fill(1), ...Array(pad).fill(0), ...Array(shortLen).fill(1)];
        const batchOut = await runDecoder(await embedRows([longIds, padded]), mask, [imageLike, paddedPos], emptyPast(2));
        const alone = await runDecoder(await embedRows([shortIds]), Array(shortLen).fill(1), [shortPos], emptyPast(1));
        expectClose('padded row prefill == alone', logitRows(batchOut.logits, 1, pad, length), logitRows(alone.logits, 0, 0, shortLen));
        const longAlone = await runDecoder(await embedRows([longIds]), Array(length).fill(1), [imageLike], emptyPast(1));
        expectClose('unpadded row prefill == alone', logitRows(batchOut.logits, 0, 0, length), logitRows(longAlone.logits, 0, 0, length));

        // decode step: position = past length + rope delta, the same on all three rows
        const next = randomIds(2);
        const stepBatch = await runDecoder(
            await embedRows([[next[0]], [next[1]]]),
            [...mask.slice(0, length), 1, ...mask.slice(length), 1],
            [[[9], [9], [9]], [[6], [6], [6]]],
            presentToPast(batchOut),
        );
        const stepAlone = await runDecoder(await embedRows([[next[1]]]), Array(shortLen + 1).fill(1), [[[6], [6], [6]]], presentToPast(alone));
        expectClose('padded row decode step == alone', logitRows(stepBatch.logits, 1, 0, 1), logitRows(stepAlone.logits, 0, 0, 1));
    }

    // 4. Vision encoder: images are independent within one call.
    const patchDim = 3 * pre.temporal_patch_size * pre.patch_size * pre.patch_size;
    const merge2 = pre.merge_size ** 2;
    const grids = [[1, 8, 12], [1, 4, 4], [2, 4, 6]];
    const images = grids.map(([t, h, w]) => Float32Array.from({ length: t * h * w * patchDim }, () => random() * 4 - 2));
    const encode = async (data, gridRows) =>
        (await encoder.run({
            pixel_values: f32(data, [data.length / patchDim, patchDim]),
            [gridName]: i64(gridRows.flat(), [gridRows.length, 3]),
        })).image_features;
    {
        const all = await encode(Float32Array.from(images.flatMap((x) => Array.from(x))), grids);
        const rows = grids.map(([t, h, w]) => (t * h * w) / merge2);
        expect(
            all.dims[0] === rows.reduce((a, b) => a + b) && all.dims[1] === text.hidden_size,
            'image_features rows = patches / merge^2, width = text hidden',
            `[${all.dims}]`,
        );
        let row = 0;
        for (let i = 0; i < grids.length; ++i) {
            const one = await encode(images[i], [grids[i]]);
            const width = all.dims[1];
            expectClose(`image ${i} (grid ${grids[i]}) in a batch of three == alone`, all.data.slice(row * width, (row + rows[i]) * width), one.data);
            row += rows[i];
        }
    }
    {
        const asIs = await encode(images[0], [[1, 8, 12]]);
        const transposed = await encode(images[0], [[1, 12, 8]]);
        expectDifferent('same patch rows under a transposed grid give other features', asIs.data, transposed.data);
    }

    // 5. transformers.js loads the directory with its own classes and can generate.
    {
        const model = await AutoModelForImageTextToText.from_pretrained(absDir);
        const processor = await AutoProcessor.from_pretrained(absDir);
        expect(model.image_grid_thw_name === gridName, 'transformers.js feeds the grid as', `${model.constructor.name}: ${model.image_grid_thw_name}`);
        const inputs = await processor('<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n');
        const out = await model.generate({ ...inputs, max_new_tokens: 3, do_sample: false });
        expect(out.dims[1] > inputs.input_ids.dims[1], 'transformers.js generates', `${processor.constructor.name}, [${out.dims}]`);
        await model.dispose();
    }
}

const dirs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_DIRS;
for (const dir of dirs) await verify(dir);
console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

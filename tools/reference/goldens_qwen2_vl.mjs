// Writes golden greedy outputs of transformers.js for the tiny Qwen2-VL and Qwen2.5-VL fixtures.
//
//   cd tools/reference && npm install --ignore-scripts && node goldens_qwen2_vl.mjs [--check]
//   node goldens_qwen2_vl.mjs --variant qwen2_5_vl                 (one variant only)
//   node goldens_qwen2_vl.mjs --variant qwen2_vl --model <dir> --out <file>   (other model dir)
//
// Paths in the golden files (model dir, images) are relative to the repository root. With
// --check nothing is written: the goldens are recomputed and compared with the committed files.
//
// Two places where this script does not run transformers.js 4.3.1 as shipped (both described in
// tools/testmodels/QWEN2_VL.md, both marked in every case they touch):
//   - several images in one request: Qwen2VLImageProcessor stacks a list of images as frames of
//     one video, so the images are preprocessed one by one and concatenated, as Python does;
//   - text-only requests: the rope delta carried into decode steps has the wrong sign of the
//     sequence length; it is replaced by Python's value, and the unpatched output is recorded too.
import fs from 'node:fs';
import path from 'node:path';
import {
    AutoModelForImageTextToText,
    AutoProcessor,
    RawImage,
    Tensor,
    cat,
    env,
} from '@huggingface/transformers';

import {
    LOAD_OPTIONS,
    MarginRecorder,
    REPO_ROOT,
    TRANSFORMERS_JS_VERSION,
    goldenFile,
    goldenText,
    imagesOf,
    option,
    toTemplateMessages,
    writeOrCheck,
} from './golden_common.mjs';

env.allowRemoteModels = false;


const VARIANTS = {
    qwen2_vl: { model: 'testdata/models/tiny-qwen2-vl', out: 'testdata/goldens/tiny-qwen2-vl.json' },
    qwen2_5_vl: { model: 'testdata/models/tiny-qwen2.5-vl', out: 'testdata/goldens/tiny-qwen2.5-vl.json' },
};

const IMG = (name) => `testdata/images/${name}`;

// Messages use the gRPC API's shape: role + content parts, each {text} or {image: path}.
const CASES = [
    {
        id: 'gradient_what',
        messages: [{ role: 'user', content: [{ image: IMG('qwen_gradient_32x32.png') }, { text: 'What is in this image?' }] }],
        max_new_tokens: 24,
    },
    {
        // Qwen's template keeps the content order: the text is rendered before the image.
        id: 'shapes_text_first',
        messages: [{ role: 'user', content: [{ text: 'Where is the red circle?' }, { image: IMG('qwen_shapes_48x32.png') }] }],
        max_new_tokens: 24,
    },
    {
        // An explicit system turn replaces the template's default one. Tall image: grid h > w.
        id: 'stripes_with_system',
        messages: [
            { role: 'system', content: [{ text: 'You describe pictures in one short sentence.' }] },
            { role: 'user', content: [{ image: IMG('qwen_stripes_24x40.png') }, { text: 'Describe the picture.' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'text_only',
        messages: [{ role: 'user', content: [{ text: 'Tell me about the weather tomorrow.' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'text_only_multi_turn',
        messages: [
            { role: 'user', content: [{ text: 'How many objects can you see?' }] },
            { role: 'assistant', content: [{ text: 'I can see two objects.' }] },
            { role: 'user', content: [{ text: 'What colour is the circle?' }] },
        ],
        max_new_tokens: 16,
    },
    {
        // Two images of different sizes in one turn.
        id: 'two_images',
        messages: [
            {
                role: 'user',
                content: [
                    { image: IMG('qwen_gradient_32x32.png') },
                    { image: IMG('qwen_shapes_48x32.png') },
                    { text: 'What is different between the two pictures?' },
                ],
            },
        ],
        max_new_tokens: 24,
    },
    {
        // Two images in two user turns with text between them; the second is exactly min_pixels.
        id: 'two_images_two_turns',
        messages: [
            { role: 'user', content: [{ image: IMG('qwen_checker_40x16.png') }, { text: 'Count the squares.' }] },
            { role: 'assistant', content: [{ text: 'There are ten squares.' }] },
            { role: 'user', content: [{ text: 'And here?' }, { image: IMG('qwen_noise_16x16.png') }] },
        ],
        max_new_tokens: 20,
    },
    {
        // Exactly max_pixels: 64 image tokens.
        id: 'blobs_max_pixels',
        messages: [{ role: 'user', content: [{ image: IMG('qwen_blobs_64x64.png') }, { text: 'Describe the colours.' }] }],
        max_new_tokens: 16,
    },
    {
        // RGBA input: the processor drops alpha (no blending with a background).
        id: 'rgba_alpha_dropped',
        messages: [{ role: 'user', content: [{ image: IMG('qwen_rgba_32x24.png') }, { text: 'What shapes do you see?' }] }],
        max_new_tokens: 24,
    },
    {
        // Grayscale input: the one channel is copied to R, G and B.
        id: 'gray_to_rgb',
        messages: [{ role: 'user', content: [{ image: IMG('qwen_gray_40x32.png') }, { text: 'Is it bright or dark?' }] }],
        max_new_tokens: 24,
    },
    {
        // Raw prompt without the default system turn.
        id: 'raw_prompt_stripes',
        prompt:
            '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What colours are the stripes?<|im_end|>\n' +
            '<|im_start|>assistant\n',
        images: [IMG('qwen_stripes_24x40.png')],
        max_new_tokens: 24,
    },
    {
        id: 'unicode_prompt',
        messages: [
            { role: 'user', content: [{ image: IMG('qwen_shapes_48x32.png') }, { text: 'héllo 日本 🙂 — what is this?' }] },
        ],
        max_new_tokens: 24,
    },
];

// (height, width) pairs whose smart_resize target is recorded (arithmetic only, no pixels):
// kept sizes, rounding (including exact halves), the min_pixels and max_pixels branches,
// a side below the factor, the aspect-ratio limit, and the sizes of the other test images.
const SMART_RESIZE_SIZES = [
    [32, 32], [16, 16], [64, 64], [30, 50], [20, 20], [20, 44], [36, 36], [44, 44],
    [10, 10], [12, 90], [100, 100], [120, 200], [5, 40], [3, 700], [1000, 4],
    [64, 17], [40, 48],
];




function summary(data, dims, imagePath) {
    let sum = 0;
    let absSum = 0;
    for (const v of data) {
        sum += v;
        absSum += Math.abs(v);
    }
    return {
        image: imagePath,
        dims,
        sum: Number(sum.toFixed(4)),
        abs_sum: Number(absSum.toFixed(4)),
        first8: Array.from(data.slice(0, 8), (v) => Number(v.toFixed(6))),
    };
}

/** Per image: its rows of the [num_patches, C*T*P*P] pixel_values, summarised. */
function pixelSummaries(pixelValues, grids, imagePaths) {
    const rowSize = pixelValues.dims[1];
    const summaries = [];
    let row = 0;
    grids.forEach(([t, h, w], i) => {
        const rows = t * h * w;
        summaries.push(summary(pixelValues.data.subarray(row * rowSize, (row + rows) * rowSize), [rows, rowSize], imagePaths[i]));
        row += rows;
    });
    return summaries;
}

/**
 * Qwen2VLImageProcessor as Python runs it for several images: each image on its own (a still
 * image becomes temporal_patch_size copies of itself), rows and grids concatenated in order.
 * transformers.js 4.3.1 would stack the list and treat it as the frames of one video.
 */
function perImageProcessor(imageProcessor) {
    const perImage = async (images, ...args) => {
        const list = Array.isArray(images) ? images : [images];
        const parts = [];
        for (const image of list) parts.push(await imageProcessor(image, ...args));
        return {
            pixel_values: cat(parts.map((p) => p.pixel_values), 0),
            image_grid_thw: cat(parts.map((p) => p.image_grid_thw), 0),
            original_sizes: parts.flatMap((p) => p.original_sizes),
            reshaped_input_sizes: parts.flatMap((p) => p.reshaped_input_sizes),
        };
    };
    // The processor reads config (merge_size) from its image processor.
    perImage.config = imageProcessor.config;
    return perImage;
}

/** Python's rope delta for text-only prompts: max position + 1 - sequence length (per row). */
function pythonTextOnlyRopeIndex(model) {
    const original = model._get_text_only_rope_index.bind(model);
    return (input_ids, attention_mask) => {
        const [positionIds, deltas] = original(input_ids, attention_mask);
        if (!attention_mask) return [positionIds, deltas];
        const [batch, seq] = attention_mask.dims;
        const data = positionIds.data; // [3, batch, seq]; row 0 is enough, all three are equal
        const fixed = [];
        for (let b = 0; b < batch; ++b) {
            let max = -1n;
            for (let j = 0; j < seq; ++j) if (data[b * seq + j] > max) max = data[b * seq + j];
            fixed.push(max + 1n - BigInt(seq));
        }
        return [positionIds, new Tensor('int64', BigInt64Array.from(fixed), [batch, 1])];
    };
}

/** Records the position_ids of every decoder run (batch size 1) until restore() is called. */
function recordDecoderPositions(model) {
    const session = model.sessions.decoder_model_merged;
    const run = session.run;
    const calls = [];
    session.run = async (feeds, ...rest) => {
        const ids = feeds.position_ids;
        const seq = ids.dims[2];
        calls.push([0, 1, 2].map((r) => Array.from(ids.data.slice(r * seq, (r + 1) * seq), Number)));
        return run.call(session, feeds, ...rest);
    };
    return { calls, restore: () => (session.run = run) };
}

function decodePositions(calls) {
    return calls.slice(1).map(([t, h, w]) => {
        if (t.length !== 1 || t[0] !== h[0] || t[0] !== w[0]) throw new Error(`unexpected decode positions ${[t, h, w]}`);
        return t[0];
    });
}

async function generate(model, tokenizer, inputs, maxNewTokens, eosIds) {
    const { calls, restore } = recordDecoderPositions(model);
    const recorder = new MarginRecorder();
    let output;
    try {
        output = await model.generate({
            ...inputs,
            max_new_tokens: maxNewTokens,
            do_sample: false,
            logits_processor: [recorder],
        });
    } finally {
        restore();
    }
    const promptLength = inputs.input_ids.dims[1];
    const generated = Array.from(output.data, Number).slice(promptLength);
    return {
        prefillPositions: calls[0],
        decodePositions: decodePositions(calls),
        generated,
        text: tokenizer.decode(generated, { skip_special_tokens: true }),
        finishReason: eosIds.includes(generated.at(-1)) ? 'stop' : 'length',
        margins: recorder.margins,
    };
}

async function runCase(ctx, modelDir, testCase) {
    const { model, processor, tokenizer, eosIds, fixTextOnly } = ctx;
    const prompt =
        testCase.prompt ??
        processor.apply_chat_template(toTemplateMessages(testCase.messages), { add_generation_prompt: true });
    const imagePaths = imagesOf(testCase);
    const images = [];
    for (const p of imagePaths) images.push(await RawImage.read(path.join(REPO_ROOT, p)));

    let inputs;
    let imageProcessing = null;
    if (images.length === 0) {
        inputs = await processor(prompt);
    } else if (images.length === 1) {
        inputs = await processor(prompt, images[0]);
        imageProcessing = 'transformers.js';
    } else {
        const stock = processor.components.image_processor;
        processor.components.image_processor = perImageProcessor(stock);
        try {
            inputs = await processor(prompt, images);
        } finally {
            processor.components.image_processor = stock;
        }
        imageProcessing = 'per image, concatenated (transformers.js stacks several images as one video)';
    }

    const grids = inputs.image_grid_thw ? inputs.image_grid_thw.tolist().map((g) => g.map(Number)) : [];
    const inputIds = Array.from(inputs.input_ids.data, Number);
    const imageTokenId = model.config.image_token_id;
    const mergeLength = processor.image_processor.config.merge_size ** 2;

    let unpatched = null;
    if (images.length === 0) {
        // As shipped first, then with Python's rope delta (the golden).
        unpatched = await generate(model, tokenizer, inputs, testCase.max_new_tokens, eosIds);
        model._get_text_only_rope_index = fixTextOnly;
    }
    let result;
    try {
        result = await generate(model, tokenizer, inputs, testCase.max_new_tokens, eosIds);
    } finally {
        delete model._get_text_only_rope_index;
    }

    const golden = { id: testCase.id, model: modelDir };
    if (testCase.messages) {
        golden.messages = testCase.messages;
    } else {
        golden.prompt = testCase.prompt;
        golden.images = testCase.images;
    }
    Object.assign(golden, {
        max_new_tokens: testCase.max_new_tokens,
        rendered_prompt: prompt,
        input_ids: inputIds,
        num_image_tokens: inputIds.filter((id) => id === imageTokenId).length,
        image_processing: imageProcessing,
        image_sizes: images.map((image, i) => ({
            image: imagePaths[i],
            original: inputs.original_sizes[i],
            resized: inputs.reshaped_input_sizes[i],
        })),
        image_grid_thw: grids,
        image_tokens_per_image: grids.map(([t, h, w]) => (t * h * w) / mergeLength),
        pixel_values: inputs.pixel_values ? pixelSummaries(inputs.pixel_values, grids, imagePaths) : [],
        // [3][prompt length]: temporal, height, width rows fed to the decoder at prefill
        position_ids: result.prefillPositions,
        // the single position (all three rows equal) fed at each decode step
        decode_position_ids: result.decodePositions,
        rope_delta: result.decodePositions.length > 0 ? result.decodePositions[0] - inputIds.length : null,
        generated_ids: result.generated,
        text: result.text,
        finish_reason: result.finishReason,
        // Top-1 minus top-2 logit per step: where an implementation diverges at a step with a
        // tiny margin, the cause is float noise rather than a logic error.
        min_logit_margin: Number(Math.min(...result.margins).toFixed(5)),
        logit_margins: result.margins.map((m) => Number(m.toFixed(4))),
    });
    if (unpatched) {
        golden.transformers_js_unpatched = {
            note: 'text-only rope delta as transformers.js 4.3.1 computes it (max + 1 + length instead of max + 1 - length)',
            decode_position_ids: unpatched.decodePositions,
            generated_ids: unpatched.generated,
            text: unpatched.text,
        };
    }
    return golden;
}

function smartResizeCases(imageProcessor) {
    const { patch_size, merge_size, min_pixels, max_pixels } = imageProcessor.config;
    return SMART_RESIZE_SIZES.map(([height, width]) => {
        const entry = { height, width };
        try {
            const [w, h] = imageProcessor.get_resize_output_image_size({ height, width }, imageProcessor.size);
            Object.assign(entry, {
                resized_height: h,
                resized_width: w,
                grid_thw: [1, h / patch_size, w / patch_size],
                num_image_tokens: (h / patch_size) * (w / patch_size) / merge_size ** 2,
            });
        } catch (e) {
            entry.error = e.message;
        }
        return entry;
    }).map((entry) => ({ ...entry, factor: patch_size * merge_size, min_pixels, max_pixels }));
}

async function goldensFor(modelDir) {
    const absDir = path.resolve(REPO_ROOT, modelDir);
    const processor = await AutoProcessor.from_pretrained(absDir);
    const model = await AutoModelForImageTextToText.from_pretrained(absDir, LOAD_OPTIONS);
    const tokenizer = processor.tokenizer;
    const genConfig = JSON.parse(fs.readFileSync(path.join(absDir, 'generation_config.json'), 'utf8'));
    const eosIds = [genConfig.eos_token_id].flat();
    const ctx = { model, processor, tokenizer, eosIds, fixTextOnly: pythonTextOnlyRopeIndex(model) };
    const results = [];
    for (const testCase of CASES) results.push(await runCase(ctx, modelDir, testCase));
    await model.dispose();
    const c = model.config;
    const idOf = (token) => tokenizer.convert_tokens_to_ids(token);
    return {
        generator: 'tools/reference/goldens_qwen2_vl.mjs',
        transformers_js: TRANSFORMERS_JS_VERSION,
        model_type: c.model_type,
        model_class: model.constructor.name,
        decoding: 'greedy (do_sample false), one request per run (batch size 1)',
        special_tokens: {
            eos: eosIds,
            pad: tokenizer.pad_token_id,
            im_start: idOf('<|im_start|>'),
            im_end: idOf('<|im_end|>'),
            vision_start: c.vision_start_token_id,
            vision_end: c.vision_end_token_id,
            image: c.image_token_id,
            video: c.video_token_id,
        },
        image_processor: pickConfig(processor.image_processor.config),
        vision_encoder_grid_input: model.image_grid_thw_name,
        smart_resize_cases: smartResizeCases(processor.image_processor),
        cases: results,
    };
}

function pickConfig(config) {
    const keys = ['patch_size', 'temporal_patch_size', 'merge_size', 'min_pixels', 'max_pixels', 'image_mean', 'image_std', 'rescale_factor'];
    return Object.fromEntries(keys.map((k) => [k, config[k]]));
}


const variantOption = option('--variant', null);
const variants = variantOption ? [variantOption] : Object.keys(VARIANTS);
let stale = 0;
for (const variant of variants) {
    if (!VARIANTS[variant]) throw new Error(`unknown --variant ${variant}; one of ${Object.keys(VARIANTS)}`);
    const modelDir = option('--model', VARIANTS[variant].model);
    const outFile = path.resolve(REPO_ROOT, option('--out', goldenFile(VARIANTS[variant].out)));
    const text = goldenText(await goldensFor(modelDir));
    if (!writeOrCheck(outFile, text)) stale++;
}
process.exit(stale === 0 ? 0 : 1);

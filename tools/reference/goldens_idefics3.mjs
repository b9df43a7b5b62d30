// Writes golden greedy outputs of transformers.js for the Idefics3 / SmolVLM fixture models.
//
//   cd tools/reference && npm install --ignore-scripts && node goldens_idefics3.mjs [--check]
//   node goldens_idefics3.mjs --variant smolvlm             (one fixture only; default: both)
//   node goldens_idefics3.mjs --variant idefics3 --model <dir> --out <file>   (another model directory)
//
// Paths in the golden files (model dir, images) are relative to the repository root. With --check,
// nothing is written: the goldens are recomputed and compared with the committed files.
// The case schema is the one of testdata/goldens/tiny-llava.json plus the Idefics3-specific
// preprocessing fields described in tools/testmodels/IDEFICS3.md.
import fs from 'node:fs';
import path from 'node:path';
import {
    AutoProcessor,
    AutoTokenizer,
    Idefics3ForConditionalGeneration,
    RawImage,
    SmolVLMForConditionalGeneration,
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


const IMG = (name) => `testdata/images/${name}`;
const user = (...content) => ({ role: 'user', content });
const text = (value) => ({ text: value });
const image = (name) => ({ image: IMG(name) });

// tiny-idefics3: do_image_splitting true, size.longest_edge 64, max_image_size 32. The 64-pixel
// images are split into 32x32 tiles by slicing; only the global frame (and the tile grid of the
// odd-sized image) goes through transformers.js' bilinear tensor resize.
const IDEFICS3_CASES = [
    {
        id: 'quadrants_split_2x2',
        messages: [user(image('idefics_quadrants_64x64.png'), text('What is in this image?'))],
        max_new_tokens: 24,
    },
    {
        // The template keeps the parts in order: "User: <text><image>".
        id: 'wide_text_first_1x2',
        messages: [user(text('Where is the blue band?'), image('idefics_wide_64x32.png'))],
        max_new_tokens: 24,
    },
    {
        // Grayscale PNG: RawImage.rgb() copies the channel three times.
        id: 'tall_gray_with_system_2x1',
        messages: [
            { role: 'system', content: [text('You describe pictures in short sentences.')] },
            user(image('idefics_tall_32x64.png'), text('Describe the picture.')),
        ],
        max_new_tokens: 24,
    },
    {
        id: 'text_only',
        messages: [user(text('Tell me about the weather tomorrow.'))],
        max_new_tokens: 24,
    },
    {
        id: 'two_images_one_turn',
        messages: [
            user(
                image('idefics_quadrants_64x64.png'),
                image('idefics_wide_64x32.png'),
                text('Compare the two pictures.'),
            ),
        ],
        max_new_tokens: 24,
    },
    {
        id: 'two_images_multi_turn',
        messages: [
            user(image('idefics_wide_64x32.png'), text('What colours are the stripes?')),
            { role: 'assistant', content: [text('Orange, blue, purple and white.')] },
            user(image('idefics_tall_32x64.png'), text('And in this one?')),
        ],
        max_new_tokens: 20,
    },
    {
        // Splitting switched off at call time: the image is squared to 32x32 (bilinear) and
        // expanded as a single frame.
        id: 'quadrants_no_split_override',
        messages: [user(image('idefics_quadrants_64x64.png'), text('What is in this image?'))],
        image_processor_overrides: { do_image_splitting: false },
        max_new_tokens: 24,
    },
    {
        // 48 is no multiple of 32: resize_for_vision_encoder stretches 64x48 to 64x64 with the
        // bilinear tensor resize before splitting (see IDEFICS3.md; Python uses PIL LANCZOS).
        id: 'odd_size_resampled_2x2',
        messages: [user(image('idefics_odd_64x48.png'), text('Describe the colours.'))],
        resampled: true,
        max_new_tokens: 24,
    },
    {
        id: 'raw_prompt_wide',
        prompt: '<|im_start|>User:<image>Count the stripes.<end_of_utterance>\nAssistant:',
        images: [IMG('idefics_wide_64x32.png')],
        max_new_tokens: 24,
    },
    {
        id: 'quadrants_short',
        messages: [user(image('idefics_quadrants_64x64.png'), text('Count the squares.'))],
        max_new_tokens: 4,
    },
    {
        id: 'unicode_prompt',
        messages: [user(image('idefics_wide_64x32.png'), text('héllo 日本 🙂 — what is this?'))],
        max_new_tokens: 24,
    },
];

// tiny-smolvlm: do_image_splitting false, size.longest_edge 32 = max_image_size. 32x32 images
// pass through untouched (one frame each); the 32x16 one is stretched by the bilinear tensor resize.
const SMOLVLM_CASES = [
    {
        id: 'gradient_what',
        messages: [user(image('gradient_32.png'), text('What is in this image?'))],
        max_new_tokens: 24,
    },
    {
        id: 'shapes_text_first',
        messages: [user(text('Where is the red circle?'), image('shapes_32.png'))],
        max_new_tokens: 24,
    },
    {
        id: 'noise_with_system',
        messages: [
            { role: 'system', content: [text('You are a helpful assistant that describes pictures.')] },
            user(image('noise_32.png'), text('Describe the picture.')),
        ],
        max_new_tokens: 24,
    },
    {
        id: 'text_only',
        messages: [user(text('Tell me about the weather tomorrow.'))],
        max_new_tokens: 24,
    },
    {
        id: 'two_images_one_turn',
        messages: [user(image('checker_32.png'), image('stripes_32.png'), text('Which picture has stripes?'))],
        max_new_tokens: 24,
    },
    {
        id: 'two_images_multi_turn',
        messages: [
            user(image('gradient_32.png'), text('What is this?')),
            { role: 'assistant', content: [text('A gradient from red to green.')] },
            user(image('shapes_32.png'), text('And this one?')),
        ],
        max_new_tokens: 20,
    },
    {
        // RGBA input: transformers.js drops alpha (Python composites onto white).
        id: 'rgba_alpha_dropped',
        messages: [user(image('rgba_32.png'), text('What shapes do you see?'))],
        max_new_tokens: 24,
    },
    {
        id: 'stretch_resampled',
        messages: [user(image('idefics_stretch_32x16.png'), text('What is in this image?'))],
        resampled: true,
        max_new_tokens: 24,
    },
    {
        id: 'raw_prompt_stripes',
        prompt: '<|im_start|>User:<image>What colours are the stripes?<end_of_utterance>\nAssistant:',
        images: [IMG('stripes_32.png')],
        max_new_tokens: 24,
    },
    {
        id: 'checker_short',
        messages: [user(image('checker_32.png'), text('Count the squares.'))],
        max_new_tokens: 4,
    },
];

const VARIANTS = {
    idefics3: {
        model: 'testdata/models/tiny-idefics3',
        out: 'testdata/goldens/tiny-idefics3.json',
        modelClass: Idefics3ForConditionalGeneration,
        cases: IDEFICS3_CASES,
    },
    smolvlm: {
        model: 'testdata/models/tiny-smolvlm',
        out: 'testdata/goldens/tiny-smolvlm.json',
        modelClass: SmolVLMForConditionalGeneration,
        cases: SMOLVLM_CASES,
    },
};




const round = (v, digits) => Number(v.toFixed(digits));

function summary(data) {
    let sum = 0;
    let absSum = 0;
    for (const v of data) {
        sum += v;
        absSum += Math.abs(v);
    }
    return { sum: round(sum, 4), abs_sum: round(absSum, 4) };
}

/**
 * Per image: its slice of pixel_values ([frames, 3, S, S], tiles row-major then the global
 * frame), with checksums of the whole slice and of each frame.
 */
function pixelSummaries(pixelValues, imagePaths, rows, cols) {
    const [, , channels, height, width] = pixelValues.dims;
    const frameSize = channels * height * width;
    const out = [];
    let frame = 0;
    imagePaths.forEach((imagePath, i) => {
        const frames = rows[i] === 0 && cols[i] === 0 ? 1 : rows[i] * cols[i] + 1;
        const data = pixelValues.data.subarray(frame * frameSize, (frame + frames) * frameSize);
        const frameSums = [];
        for (let f = 0; f < frames; ++f) {
            frameSums.push(summary(data.subarray(f * frameSize, (f + 1) * frameSize)).sum);
        }
        out.push({
            image: imagePath,
            dims: [frames, channels, height, width],
            ...summary(data),
            first8: Array.from(data.subarray(0, 8), (v) => round(v, 6)),
            frame_sums: frameSums,
        });
        frame += frames;
    });
    return out;
}

async function runCase(model, processor, tokenizer, eosIds, modelDir, testCase) {
    const prompt =
        testCase.prompt ??
        processor.apply_chat_template(toTemplateMessages(testCase.messages), { add_generation_prompt: true });
    const imagePaths = imagesOf(testCase);

    let inputs;
    const extra = {};
    if (imagePaths.length > 0) {
        const images = await Promise.all(imagePaths.map((p) => RawImage.read(path.join(REPO_ROOT, p))));
        inputs = await processor(prompt, images, { ...(testCase.image_processor_overrides ?? {}) });
        const rows = inputs.rows[0];
        const cols = inputs.cols[0];
        const mask = inputs.pixel_attention_mask;
        Object.assign(extra, {
            image_rows: rows,
            image_cols: cols,
            num_frames: inputs.pixel_values.dims[1],
            pixel_values_dims: inputs.pixel_values.dims,
            pixel_attention_mask_dims: mask.dims,
            pixel_attention_mask_sum: Array.from(mask.data).filter(Boolean).length,
            pixel_values: pixelSummaries(inputs.pixel_values, imagePaths, rows, cols),
        });
    } else {
        // Idefics3Processor cannot run without images (it reads rows/cols of the image inputs),
        // so text-only requests go through the tokenizer, which is what the processor calls.
        inputs = tokenizer(prompt);
        Object.assign(extra, {
            image_rows: [],
            image_cols: [],
            num_frames: 0,
            pixel_attention_mask_sum: 0,
            pixel_values: [],
        });
    }

    const recorder = new MarginRecorder();
    const output = await model.generate({
        ...inputs,
        max_new_tokens: testCase.max_new_tokens,
        do_sample: false,
        logits_processor: [recorder],
    });

    const inputIds = Array.from(inputs.input_ids.data, Number);
    const generated = Array.from(output.data, Number).slice(inputIds.length);
    const imageTokenId = model.config.image_token_id;

    const golden = { id: testCase.id, model: modelDir };
    if (testCase.messages) {
        golden.messages = testCase.messages;
    } else {
        golden.prompt = testCase.prompt;
        golden.images = testCase.images;
    }
    if (testCase.image_processor_overrides) golden.image_processor_overrides = testCase.image_processor_overrides;
    if (testCase.resampled) golden.resampled = true;
    const { pixel_values: pixelValues, ...preprocessing } = extra;
    Object.assign(golden, {
        max_new_tokens: testCase.max_new_tokens,
        rendered_prompt: prompt,
        // The prompt after image-token expansion, as the tokenizer saw it (decoded back from input_ids).
        expanded_prompt: tokenizer.decode(inputIds, { skip_special_tokens: false }),
        input_ids: inputIds,
        num_image_tokens: inputIds.filter((id) => id === imageTokenId).length,
        ...preprocessing,
        pixel_values: pixelValues,
        generated_ids: generated,
        text: tokenizer.decode(generated, { skip_special_tokens: true }),
        finish_reason: eosIds.includes(generated.at(-1)) ? 'stop' : 'length',
        min_logit_margin: round(Math.min(...recorder.margins), 5),
        logit_margins: recorder.margins.map((m) => round(m, 4)),
    });
    return golden;
}

async function goldensFor(variant, modelDir) {
    const absDir = path.resolve(REPO_ROOT, modelDir);
    const tokenizer = await AutoTokenizer.from_pretrained(absDir);
    const processor = await AutoProcessor.from_pretrained(absDir);
    const model = await variant.modelClass.from_pretrained(absDir, LOAD_OPTIONS);
    const generationConfig = JSON.parse(fs.readFileSync(path.join(absDir, 'generation_config.json'), 'utf8'));
    const eosIds = [generationConfig.eos_token_id].flat();
    const results = [];
    for (const testCase of variant.cases) {
        results.push(await runCase(model, processor, tokenizer, eosIds, modelDir, testCase));
    }
    await model.dispose();
    const id = (token) => tokenizer.convert_tokens_to_ids(token);
    return {
        generator: 'tools/reference/goldens_idefics3.mjs',
        transformers_js: TRANSFORMERS_JS_VERSION,
        decoding: 'greedy (do_sample false), one request per run (batch size 1)',
        special_tokens: {
            bos: tokenizer.bos_token_id,
            eos: eosIds,
            pad: tokenizer.pad_token_id,
            unk: tokenizer.unk_token_id,
            image: model.config.image_token_id,
            fake_token_around_image: id('<fake_token_around_image>'),
            global_img: id('<global-img>'),
            row_1_col_1: id('<row_1_col_1>'),
        },
        image_seq_len: processor.config.image_seq_len,
        cases: results,
    };
}


const only = option('--variant', null);
if (only !== null && !(only in VARIANTS)) {
    console.error(`unknown --variant ${only}; one of ${Object.keys(VARIANTS).join(', ')}`);
    process.exit(2);
}
let stale = 0;
for (const [name, variant] of Object.entries(VARIANTS)) {
    if (only !== null && name !== only) continue;
    const modelDir = only !== null ? option('--model', variant.model) : variant.model;
    const out = goldenFile(variant.out);
    const outFile = path.resolve(REPO_ROOT, only !== null ? option('--out', out) : out);
    const json = goldenText(await goldensFor(variant, modelDir));
    if (!writeOrCheck(outFile, json)) stale++;
}
process.exit(stale === 0 ? 0 : 1);

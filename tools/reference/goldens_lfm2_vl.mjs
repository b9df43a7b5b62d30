// Writes golden greedy outputs of transformers.js for the tiny LFM2-VL fixture.
//
//   cd tools/reference && npm install --ignore-scripts && node goldens_lfm2_vl.mjs [--check]
//   node goldens_lfm2_vl.mjs --model <model dir> --out <golden file>   (paths from repo root)
//
// Same case schema as goldens.mjs (tiny-llava), plus the LFM2-VL preprocessing facts a Java
// implementation needs for debugging: the prompt after image-token expansion, per image its
// tile grid, resized size and token count, per image the pixel_values / pixel_attention_mask /
// spatial_shapes it contributed, and a summary of the vision encoder's image_features.
// With --check nothing is written: the goldens are recomputed and compared with the file.
import path from 'node:path';
import {
    AutoProcessor,
    AutoTokenizer,
    Lfm2VlForConditionalGeneration,
    RawImage,
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


const TINY_LFM2_VL = 'testdata/models/tiny-lfm2-vl';
const IMG = 'testdata/images/';

// Messages use the gRPC API's shape: role + content parts, each {text} or {image: path}.
const CASES = [
    {
        id: 'gradient_what',
        messages: [{ role: 'user', content: [{ image: IMG + 'gradient_32.png' }, { text: 'What is in this image?' }] }],
        max_new_tokens: 24,
    },
    {
        // The template keeps the parts in order: here the text comes before the image.
        id: 'text_before_image',
        messages: [{ role: 'user', content: [{ text: 'Where is the red circle?' }, { image: IMG + 'shapes_32.png' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'system_and_image',
        messages: [
            { role: 'system', content: [{ text: 'You are a helpful assistant that describes pictures.' }] },
            { role: 'user', content: [{ image: IMG + 'lfm2_24x32_gradient.png' }, { text: 'Describe the picture.' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'text_only',
        messages: [{ role: 'user', content: [{ text: 'Tell me about the weather tomorrow.' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'two_images',
        messages: [
            {
                role: 'user',
                content: [
                    { image: IMG + 'lfm2_24x32_gradient.png' },
                    { text: 'and' },
                    { image: IMG + 'lfm2_16x40_rings.png' },
                    { text: 'Which picture has rings?' },
                ],
            },
        ],
        max_new_tokens: 24,
    },
    {
        // 2x2 tiles + thumbnail (the thumbnail is the only resampled input: an exact 2x reduction).
        id: 'tiled_quadrants',
        messages: [
            { role: 'user', content: [{ image: IMG + 'lfm2_64x64_quadrants.png' }, { text: 'Describe each part of the image.' }] },
        ],
        max_new_tokens: 24,
    },
    {
        // 1 row x 3 columns of tiles + a 16x48 thumbnail.
        id: 'tiled_panorama',
        messages: [{ role: 'user', content: [{ image: IMG + 'lfm2_32x96_panorama.png' }, { text: 'What is in the sky?' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'two_images_tiled_and_small',
        messages: [
            {
                role: 'user',
                content: [
                    { image: IMG + 'lfm2_32x96_panorama.png' },
                    { image: IMG + 'lfm2_8x32_bars.png' },
                    { text: 'Compare the two pictures.' },
                ],
            },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'smallest_image',
        messages: [{ role: 'user', content: [{ image: IMG + 'lfm2_16x16_bars.png' }, { text: 'What do you see?' }] }],
        max_new_tokens: 24,
    },
    {
        // Grayscale input: converted to RGB (three equal channels) before normalisation.
        id: 'grayscale',
        messages: [{ role: 'user', content: [{ image: IMG + 'lfm2_32x24_speckle_gray.png' }, { text: 'Is this a photo?' }] }],
        max_new_tokens: 24,
    },
    {
        // RGBA input: the processor drops alpha (no blending with a background).
        id: 'rgba_alpha_dropped',
        messages: [{ role: 'user', content: [{ image: IMG + 'rgba_32.png' }, { text: 'What shapes do you see?' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'multi_turn',
        messages: [
            { role: 'user', content: [{ image: IMG + 'gradient_32.png' }, { text: 'What is this?' }] },
            { role: 'assistant', content: [{ text: 'A gradient from red to green.' }] },
            { role: 'user', content: [{ text: 'Which corner is blue?' }] },
        ],
        max_new_tokens: 20,
    },
    {
        id: 'raw_prompt_stripes',
        prompt: '<|startoftext|><|im_start|>user\n<image>What colours are the stripes?<|im_end|>\n<|im_start|>assistant\n',
        images: [IMG + 'stripes_32.png'],
        max_new_tokens: 24,
    },
    {
        id: 'unicode_prompt',
        messages: [
            { role: 'user', content: [{ image: IMG + 'noise_32.png' }, { text: 'héllo 日本 🙂 — what is this?' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'checker_short',
        messages: [{ role: 'user', content: [{ image: IMG + 'checker_32.png' }, { text: 'Count the squares.' }] }],
        max_new_tokens: 4,
    },
];




const round = (v, digits) => Number(v.toFixed(digits));

function summary(data, dims) {
    let sum = 0;
    let absSum = 0;
    for (const v of data) {
        sum += v;
        absSum += Math.abs(v);
    }
    return {
        dims,
        sum: round(sum, 4),
        abs_sum: round(absSum, 4),
        first8: Array.from(data.slice(0, 8), (v) => round(v, 6)),
    };
}

/**
 * The image-token expansion as documented in tools/testmodels/LFM2_VL.md, written
 * independently of Lfm2VlProcessor so that the goldens also check the description.
 */
function expandPrompt(prompt, layouts, cfg) {
    const perSide = (side) => Math.ceil(Math.floor(side / cfg.encoder_patch_size) / cfg.downsample_factor);
    const tileTokens = perSide(cfg.tile_size) ** 2;
    const parts = prompt.split('<image>');
    let out = parts[0];
    layouts.forEach((layout, i) => {
        out += '<|image_start|>';
        if (layout.rows > 1 || layout.cols > 1) {
            for (let r = 1; r <= layout.rows; ++r) {
                for (let c = 1; c <= layout.cols; ++c) out += `<|img_row_${r}_col_${c}|>` + '<image>'.repeat(tileTokens);
            }
            if (cfg.use_thumbnail) out += '<|img_thumbnail|>' + '<image>'.repeat(layout.tokens - layout.rows * layout.cols * tileTokens);
        } else {
            out += '<image>'.repeat(layout.tokens);
        }
        out += '<|image_end|>' + parts[i + 1];
    });
    return out;
}

/** Tile grid, sizes and token count of one image, from the image processor's row/col info. */
function layoutOf(imagePath, image, rows, cols, size, cfg) {
    const [h, w] = size;
    const perSide = (side) => Math.ceil(Math.floor(side / cfg.encoder_patch_size) / cfg.downsample_factor);
    const tiled = rows > 1 || cols > 1;
    const thumbnail = tiled && cfg.use_thumbnail;
    const tileTokens = perSide(cfg.tile_size) ** 2;
    const resampled = [];
    if (tiled) {
        if (rows * cfg.tile_size !== image.height || cols * cfg.tile_size !== image.width) resampled.push('tiles');
        if (thumbnail) resampled.push('thumbnail');
    } else if (h !== image.height || w !== image.width) {
        resampled.push('image');
    }
    return {
        image: imagePath,
        original_size: [image.height, image.width],
        resized_size: [h, w],
        rows,
        cols,
        tiles: tiled ? rows * cols + (thumbnail ? 1 : 0) : 1,
        tokens: tiled ? rows * cols * tileTokens + (thumbnail ? perSide(h) * perSide(w) : 0) : perSide(h) * perSide(w),
        resampled,
    };
}

async function runCase(model, processor, tokenizer, modelDir, testCase) {
    const cfg = processor.image_processor.config;
    const prompt =
        testCase.prompt ??
        processor.apply_chat_template(toTemplateMessages(testCase.messages), { add_generation_prompt: true });
    const imagePaths = imagesOf(testCase);
    const images = await Promise.all(imagePaths.map((p) => RawImage.read(path.join(REPO_ROOT, p))));

    let inputs;
    const layouts = [];
    const pixelSummaries = [];
    let featureSummary = null;
    if (images.length > 0) {
        inputs = await processor(images, prompt);
        const info = await processor.image_processor(images, { return_row_col_info: true });
        const [, slots, dim] = inputs.pixel_values.dims;
        let tile = 0;
        images.forEach((image, i) => {
            const layout = layoutOf(imagePaths[i], image, info.image_rows[i], info.image_cols[i], info.image_sizes[i], cfg);
            layouts.push(layout);
            const pixels = inputs.pixel_values.data.slice(tile * slots * dim, (tile + layout.tiles) * slots * dim);
            const masks = [];
            const spatial = [];
            for (let t = tile; t < tile + layout.tiles; ++t) {
                let ones = 0;
                for (let n = 0; n < slots; ++n) ones += Number(inputs.pixel_attention_mask.data[t * slots + n]);
                masks.push(ones);
                spatial.push([Number(inputs.spatial_shapes.data[2 * t]), Number(inputs.spatial_shapes.data[2 * t + 1])]);
            }
            pixelSummaries.push({
                image: imagePaths[i],
                ...summary(pixels, [layout.tiles, slots, dim]),
                spatial_shapes: spatial,
                pixel_attention_mask_sums: masks,
            });
            tile += layout.tiles;
        });
        const features = await model.encode_image({
            pixel_values: inputs.pixel_values,
            pixel_attention_mask: inputs.pixel_attention_mask,
            spatial_shapes: inputs.spatial_shapes,
        });
        const { first8, ...rest } = summary(features.data, features.dims);
        featureSummary = rest;
    } else {
        inputs = tokenizer(prompt); // the template already holds <|startoftext|>; no post-processor adds more
    }

    const inputIds = Array.from(inputs.input_ids.data, Number);
    const expanded = images.length > 0 ? expandPrompt(prompt, layouts, cfg) : prompt;
    const reencoded = Array.from(tokenizer(expanded).input_ids.data, Number);
    if (JSON.stringify(reencoded) !== JSON.stringify(inputIds)) {
        throw new Error(`${testCase.id}: documented expansion disagrees with Lfm2VlProcessor`);
    }

    const recorder = new MarginRecorder();
    const output = await model.generate({
        ...inputs,
        max_new_tokens: testCase.max_new_tokens,
        do_sample: false,
        logits_processor: [recorder],
    });

    const generated = Array.from(output.data, Number).slice(inputIds.length);
    const imageTokenId = model.config.image_token_id;
    const eos = tokenizer.eos_token_id;

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
        expanded_prompt: expanded,
        input_ids: inputIds,
        num_image_tokens: inputIds.filter((id) => id === imageTokenId).length,
        image_layouts: layouts,
        pixel_values: pixelSummaries,
        image_features: featureSummary,
        generated_ids: generated,
        text: tokenizer.decode(generated, { skip_special_tokens: true }),
        finish_reason: generated.at(-1) === eos ? 'stop' : 'length',
        // Top-1 minus top-2 logit per step: where an implementation diverges at a step with a
        // tiny margin, the cause is float noise rather than a logic error.
        min_logit_margin: round(Math.min(...recorder.margins), 5),
        logit_margins: recorder.margins.map((m) => round(m, 4)),
    });
    return golden;
}

async function goldensFor(modelDir, cases) {
    const absDir = path.resolve(REPO_ROOT, modelDir);
    const tokenizer = await AutoTokenizer.from_pretrained(absDir);
    const processor = await AutoProcessor.from_pretrained(absDir);
    const model = await Lfm2VlForConditionalGeneration.from_pretrained(absDir, LOAD_OPTIONS);
    const results = [];
    for (const testCase of cases) {
        results.push(await runCase(model, processor, tokenizer, modelDir, testCase));
    }
    await model.dispose();
    const id = (token) => tokenizer.convert_tokens_to_ids(token);
    return {
        generator: 'tools/reference/goldens_lfm2_vl.mjs',
        transformers_js: TRANSFORMERS_JS_VERSION,
        decoding: 'greedy (do_sample false), one request per run (batch size 1)',
        special_tokens: {
            bos: tokenizer.bos_token_id,
            eos: tokenizer.eos_token_id,
            pad: tokenizer.pad_token_id,
            image: model.config.image_token_id,
            image_start: id('<|image_start|>'),
            image_end: id('<|image_end|>'),
            image_thumbnail: id('<|img_thumbnail|>'),
            img_row_1_col_1: id('<|img_row_1_col_1|>'),
        },
        cases: results,
    };
}


const modelDir = option('--model', TINY_LFM2_VL);
const outFile = path.resolve(REPO_ROOT, option('--out', goldenFile('testdata/goldens/tiny-lfm2-vl.json')));
const text = goldenText(await goldensFor(modelDir, CASES));
process.exit(writeOrCheck(outFile, text) ? 0 : 1);

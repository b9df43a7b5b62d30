// Writes golden greedy outputs of transformers.js for the test fixture models.
//
//   cd tools/reference && npm install --ignore-scripts && node goldens.mjs [--check]
//   node goldens.mjs --model <model dir> --out <golden file>   (other model; paths from repo root)
//   node goldens.mjs --dtype q4 [--check]   (the X_q4.onnx graphs; testdata/goldens/tiny-llava.q4.json)
//
// Paths in the golden file (model dir, images) are relative to the repository root.
// With --check, nothing is written: the goldens are recomputed and compared with the
// committed file (exit code 1 on any difference).
import path from 'node:path';
import {
    AutoProcessor,
    AutoTokenizer,
    LlavaForConditionalGeneration,
    RawImage,
    env,
} from '@huggingface/transformers';

import {
    MarginRecorder,
    LOAD_OPTIONS,
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


const TINY_LLAVA = 'testdata/models/tiny-llava';

// Messages use the gRPC API's shape: role + content parts, each {text} or {image: path}.
const CASES = [
    {
        id: 'gradient_what',
        messages: [
            { role: 'user', content: [{ image: 'testdata/images/gradient_32.png' }, { text: 'What is in this image?' }] },
        ],
        max_new_tokens: 24,
    },
    {
        // Text before the image in the API message: the template still renders the image first.
        id: 'shapes_text_first',
        messages: [
            { role: 'user', content: [{ text: 'Where is the red circle?' }, { image: 'testdata/images/shapes_32.png' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'noise_with_system',
        messages: [
            { role: 'system', content: [{ text: 'You are a helpful assistant that describes pictures.' }] },
            { role: 'user', content: [{ image: 'testdata/images/noise_32.png' }, { text: 'Describe the picture.' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'text_only',
        messages: [{ role: 'user', content: [{ text: 'Tell me about the weather tomorrow.' }] }],
        max_new_tokens: 24,
    },
    {
        id: 'checker_short',
        messages: [
            { role: 'user', content: [{ image: 'testdata/images/checker_32.png' }, { text: 'Count the squares.' }] },
        ],
        max_new_tokens: 4,
    },
    {
        id: 'raw_prompt_stripes',
        prompt: 'USER: <image>\nWhat colours are the stripes? ASSISTANT:',
        images: ['testdata/images/stripes_32.png'],
        max_new_tokens: 24,
    },
    {
        id: 'multi_turn',
        messages: [
            { role: 'user', content: [{ image: 'testdata/images/gradient_32.png' }, { text: 'What is this?' }] },
            { role: 'assistant', content: [{ text: 'A gradient from red to green.' }] },
            { role: 'user', content: [{ text: 'Which corner is blue?' }] },
        ],
        max_new_tokens: 20,
    },
    {
        // RGBA input: the processor drops alpha (no blending with a background).
        id: 'rgba_alpha_dropped',
        messages: [
            { role: 'user', content: [{ image: 'testdata/images/rgba_32.png' }, { text: 'What shapes do you see?' }] },
        ],
        max_new_tokens: 24,
    },
    {
        id: 'unicode_prompt',
        messages: [
            {
                role: 'user',
                content: [{ image: 'testdata/images/shapes_32.png' }, { text: 'héllo 日本 🙂 — what is this?' }],
            },
        ],
        max_new_tokens: 24,
    },
];




function checksum(pixelValues, imagePath) {
    const data = pixelValues.data;
    let sum = 0;
    let absSum = 0;
    for (const v of data) {
        sum += v;
        absSum += Math.abs(v);
    }
    return {
        image: imagePath,
        dims: pixelValues.dims,
        sum: Number(sum.toFixed(4)),
        abs_sum: Number(absSum.toFixed(4)),
        first8: Array.from(data.slice(0, 8), (v) => Number(v.toFixed(6))),
    };
}

async function runCase(model, processor, tokenizer, modelDir, testCase) {
    const prompt =
        testCase.prompt ??
        processor.apply_chat_template(toTemplateMessages(testCase.messages), { add_generation_prompt: true });
    const imagePaths = imagesOf(testCase);
    if (imagePaths.length > 1) {
        // LlavaProcessor expands only the first "<image>" (String.replace with a string pattern).
        throw new Error(`${testCase.id}: transformers.js handles at most one image per prompt`);
    }

    let inputs;
    const pixelChecksums = [];
    if (imagePaths.length === 1) {
        const image = await RawImage.read(path.join(REPO_ROOT, imagePaths[0]));
        inputs = await processor(image, prompt);
        pixelChecksums.push(checksum(inputs.pixel_values, imagePaths[0]));
    } else {
        inputs = tokenizer(prompt); // adds <s> through the tokenizer's post-processor
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
    const imageTokenId = model.config.image_token_index;
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
        input_ids: inputIds,
        num_image_tokens: inputIds.filter((id) => id === imageTokenId).length,
        pixel_values: pixelChecksums,
        generated_ids: generated,
        text: tokenizer.decode(generated, { skip_special_tokens: true }),
        finish_reason: generated.at(-1) === eos ? 'stop' : 'length',
        // Top-1 minus top-2 logit per step: where an implementation diverges at a step with a
        // tiny margin, the cause is float noise rather than a logic error.
        min_logit_margin: Number(Math.min(...recorder.margins).toFixed(5)),
        logit_margins: recorder.margins.map((m) => Number(m.toFixed(4))),
    });
    return golden;
}

async function goldensFor(modelDir, cases) {
    const absDir = path.resolve(REPO_ROOT, modelDir);
    const tokenizer = await AutoTokenizer.from_pretrained(absDir);
    const processor = await AutoProcessor.from_pretrained(absDir);
    const model = await LlavaForConditionalGeneration.from_pretrained(absDir, LOAD_OPTIONS);
    const results = [];
    for (const testCase of cases) {
        results.push(await runCase(model, processor, tokenizer, modelDir, testCase));
    }
    await model.dispose();
    return {
        generator: 'tools/reference/goldens.mjs',
        transformers_js: TRANSFORMERS_JS_VERSION,
        decoding: 'greedy (do_sample false), one request per run (batch size 1)',
        special_tokens: {
            bos: tokenizer.bos_token_id,
            eos: tokenizer.eos_token_id,
            pad: tokenizer.pad_token_id,
            unk: tokenizer.unk_token_id,
            image: model.config.image_token_index,
        },
        cases: results,
    };
}


// --model and --out (both relative to the repository root) run the same cases on another
// model directory, e.g. a freshly generated variant while tuning the generator.
const modelDir = option('--model', TINY_LLAVA);
const outFile = path.resolve(REPO_ROOT, option('--out', goldenFile('testdata/goldens/tiny-llava.json')));
const text = goldenText(await goldensFor(modelDir, CASES));
process.exit(writeOrCheck(outFile, text) ? 0 : 1);

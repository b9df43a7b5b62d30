// What every golden writer shares: repository paths, the transformers.js version, the logit
// margin recorder, API-message helpers, command-line options, and writing or checking a file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogitsProcessor } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TRANSFORMERS_JS_VERSION = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'tools/reference/node_modules/@huggingface/transformers/package.json'), 'utf8'),
).version;

/** Records, per greedy step, the gap between the best and second-best logit. */
export class MarginRecorder extends LogitsProcessor {
    constructor() {
        super();
        this.margins = [];
    }

    _call(input_ids, logits) {
        let best = -Infinity;
        let second = -Infinity;
        for (const v of logits.data) {
            if (v > best) {
                second = best;
                best = v;
            } else if (v > second) {
                second = v;
            }
        }
        this.margins.push(best - second);
        return logits;
    }
}

/** Converts API-shaped messages to the {type: ...} parts that chat templates expect. */
export function toTemplateMessages(messages) {
    return messages.map(({ role, content }) => ({
        role,
        content: content.map((part) => ('image' in part ? { type: 'image' } : { type: 'text', text: part.text })),
    }));
}

/** The image paths of a case: its raw-prompt images, or the image parts of its messages in order. */
export function imagesOf(testCase) {
    if (testCase.images) return testCase.images;
    return testCase.messages.flatMap(({ content }) => content.filter((p) => 'image' in p).map((p) => p.image));
}

/** The value after {@code name} on the command line, or {@code fallback}. */
export function option(name, fallback) {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
}

/**
 * The transformers.js `dtype` load option (--dtype, default fp32): which variant of every graph
 * loads (`fp16` opens `X_fp16.onnx`, `q8` `X_quantized.onnx`, ...).
 */
export const DTYPE = option('--dtype', 'fp32');

/** Options for every model's from_pretrained: the chosen dtype. */
export const LOAD_OPTIONS = { dtype: DTYPE };

/** The golden file of the chosen dtype: `x.json` for fp32, `x.<dtype>.json` otherwise. */
export function goldenFile(fp32File) {
    return DTYPE === 'fp32' ? fp32File : fp32File.replace(/\.json$/, `.${DTYPE}.json`);
}

/**
 * A golden file's text: its JSON, with a top-level `dtype` after `transformers_js` when the dtype
 * is not fp32 (the fp32 files stay as they were before there were other dtypes).
 */
export function goldenText(golden) {
    let out = golden;
    if (DTYPE !== 'fp32') {
        out = {};
        for (const [key, value] of Object.entries(golden)) {
            out[key] = value;
            if (key === 'transformers_js') out.dtype = DTYPE;
        }
    }
    return JSON.stringify(out, null, 2) + '\n';
}

/**
 * --dump-feeds FILE: records, in call order, what transformers.js feeds the graphs (every input of
 * the vision encoder; the decoder's position_ids and input shapes) and writes it as JSON at exit,
 * so that tools/testmodels/python_goldens.py can rerun the cases with its own greedy loop.
 */
const FEEDS_FILE = option('--dump-feeds', null);
if (FEEDS_FILE !== null) {
    const calls = [];
    const plain = (t) => ({ type: t.type, dims: t.dims, data: Array.from(t.data, Number) });
    const run = ort.InferenceSession.prototype.run;
    ort.InferenceSession.prototype.run = function (feeds, ...rest) {
        if ('inputs_embeds' in feeds) {
            const call = { graph: 'decoder', inputs_embeds: feeds.inputs_embeds.dims, attention_mask: feeds.attention_mask.dims };
            if (feeds.position_ids) call.position_ids = plain(feeds.position_ids);
            calls.push(call);
        } else if ('pixel_values' in feeds) {
            calls.push({ graph: 'vision_encoder', feeds: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, plain(t)])) });
        }
        return run.call(this, feeds, ...rest);
    };
    process.on('exit', () => fs.writeFileSync(path.resolve(FEEDS_FILE), JSON.stringify(calls)));
}

/** Whether the run only checks the committed goldens (--check) instead of writing them. */
export const CHECK = process.argv.includes('--check');

/**
 * Writes {@code text} to {@code outFile}, or with --check compares it with the committed file.
 * Returns false when a check finds a difference.
 */
export function writeOrCheck(outFile, text) {
    const label = path.relative(REPO_ROOT, outFile);
    if (CHECK) {
        const committed = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
        if (committed !== text) {
            console.error(`${label} differs from a fresh run`);
            return false;
        }
        console.log(`${label} is up to date`);
        return true;
    }
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, text);
    console.log(`wrote ${label}`);
    return true;
}

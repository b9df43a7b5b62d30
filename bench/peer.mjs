// The peer figure (e) of bench/run.sh: transformers.js runs the benchmark's requests one by
// one on the same model (the concat variant), greedy, each generating exactly its
// max_new_tokens (min_new_tokens = max_new_tokens keeps EOS out, as ignore_eos does on the
// server). Prints and writes output tokens per second of wall time, preprocessing included.
//
//   node bench/peer.mjs --model DIR --workload FILE --json OUT [--tjs NODE_MODULES] [--requests N]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function option(name, fallback) {
    const i = process.argv.indexOf(name);
    if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
    if (fallback === undefined) throw new Error(`missing ${name}`);
    return fallback;
}

const modelDir = path.resolve(option('--model'));
const workload = JSON.parse(fs.readFileSync(option('--workload'), 'utf8'));
const jsonOut = option('--json');
const tjsModules = path.resolve(option('--tjs', 'bench/node_modules'));
const limit = Number(option('--requests', String(workload.requests.length)));

const tjsEntry = path.join(tjsModules, '@huggingface/transformers/dist/transformers.node.mjs');
const tjsVersion = JSON.parse(
    fs.readFileSync(path.join(tjsModules, '@huggingface/transformers/package.json'), 'utf8')).version;
const { AutoProcessor, LlavaForConditionalGeneration, RawImage, env } = await import(pathToFileURL(tjsEntry).href);
env.allowRemoteModels = false;

const processor = await AutoProcessor.from_pretrained(modelDir);
const model = await LlavaForConditionalGeneration.from_pretrained(modelDir);
const image = await RawImage.read(workload.image);

async function generate(request) {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: request.prompt }] }];
    const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(image, prompt);
    const output = await model.generate({
        ...inputs,
        do_sample: false,
        max_new_tokens: request.max_new_tokens,
        min_new_tokens: request.max_new_tokens,
    });
    return output.dims[1] - inputs.input_ids.dims[1];
}

// The first call pays for lazy initialisation; keep it out of the timing.
await generate({ prompt: workload.requests[0].prompt, max_new_tokens: 4 });

const requests = workload.requests.slice(0, limit);
let tokens = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
for (const request of requests) {
    const made = await generate(request);
    if (made !== request.max_new_tokens) {
        throw new Error(`asked for ${request.max_new_tokens} tokens, got ${made}`);
    }
    tokens += made;
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const result = {
    engine: `transformers.js ${tjsVersion}`,
    model: modelDir,
    requests: requests.length,
    output_tokens: tokens,
    seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    output_tokens_per_second: tokens / seconds,
};
fs.writeFileSync(jsonOut, JSON.stringify(result, null, 1));
console.log(`peer: transformers.js ${tjsVersion}, ${requests.length} requests one by one, ` +
    `${tokens} tokens in ${seconds.toFixed(2)} s = ${(tokens / seconds).toFixed(1)} tok/s`);

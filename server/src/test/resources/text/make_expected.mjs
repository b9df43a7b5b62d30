// Writes expected_encodings.json: what transformers.js (the independent reference) produces
// for the tokenizer fixtures next to this script. The Java tests must reproduce these ids.
//
// Usage, from this directory:
//   node make_expected.mjs /path/to/node_modules/@huggingface/transformers/dist/transformers.node.mjs
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { AutoTokenizer, env } = await import(process.argv[2] ?? '@huggingface/transformers');
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = here + '/';

const texts = [
  'Hello world',
  'hello  world\n\nthe end',
  'Hello<image>What is in the picture?',
  ' leading space',
  '中文 😀 emoji',
  'café is nice, isn\'t it?',
  '</s>',
  'a<image><image>b',
  '',
];

const result = { transformersJsVersion: env.version, tokenizers: {} };
for (const name of ['bytelevel', 'llama', 'metaspace']) {
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  result.tokenizers[name] = texts.map((text) => {
    const withSpecial = tokenizer(text, { return_tensor: false }).input_ids;
    const withoutSpecial = tokenizer(text, { add_special_tokens: false, return_tensor: false }).input_ids;
    const entry = { text, ids: withSpecial, idsWithoutSpecialTokens: withoutSpecial };
    if (withSpecial.length > 0) {
      entry.decoded = tokenizer.decode(withSpecial, { skip_special_tokens: false });
      entry.decodedSkippingSpecial = tokenizer.decode(withSpecial, { skip_special_tokens: true });
    }
    return entry;
  });
}
writeFileSync(here + '/expected_encodings.json', JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(result.tokenizers, (k, v) => (Array.isArray(v) && typeof v[0] === 'number') ? v.join(',') : v, 1));

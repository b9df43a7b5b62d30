// The official OpenAI JavaScript client against a running vlm-server HTTP API.
// OpenAiNodeClientE2ETest starts the server and sets:
//   VLM_HTTP_URL       the API base, e.g. http://127.0.0.1:PORT/v1 (serves tiny-llava, and "missing",
//                      a model whose directory does not exist; one request in flight per model)
//   VLM_AUTH_HTTP_URL  an API whose gRPC side refuses every key ("Bearer no-access": 403, others: 401)
//   VLM_IMAGE          a PNG file to send as a data: URL
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const MODEL = 'tiny-llava';
const image = 'data:image/png;base64,' + readFileSync(process.env.VLM_IMAGE).toString('base64');
// No retries: each error status must reach the test as the server sent it.
const client = new OpenAI({ baseURL: process.env.VLM_HTTP_URL, apiKey: 'unused', maxRetries: 0 });

function withImage(text) {
  return [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }, { type: 'text', text }] }];
}

test('lists the served models', async () => {
  const models = [];
  for await (const model of client.models.list()) {
    models.push(model.id);
  }
  assert.deepEqual(models.sort(), ['missing', MODEL]);
});

test('chat with an image, whole and streamed, gives the same greedy text', async () => {
  const whole = await client.chat.completions.create({
    model: MODEL, messages: withImage('Describe it.'), max_tokens: 8, temperature: 0,
  });
  assert.equal(whole.object, 'chat.completion');
  assert.match(whole.id, /^chatcmpl-/);
  const choice = whole.choices[0];
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  assert.ok(whole.usage.completion_tokens > 0 && whole.usage.completion_tokens <= 8);
  assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + whole.usage.completion_tokens);

  const stream = await client.chat.completions.create({
    model: MODEL, messages: withImage('Describe it.'), max_tokens: 8, temperature: 0,
    stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.choices.length > 0) {
      text += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, choice.message.content);
  assert.equal(finish, choice.finish_reason);
  assert.deepEqual(usage, whole.usage);
});

test('a text completion from a raw prompt', async () => {
  const completion = await client.completions.create({
    model: MODEL, prompt: 'USER: Hello ASSISTANT:', max_tokens: 5, temperature: 0, ignore_eos: true,
  });
  assert.equal(completion.object, 'text_completion');
  assert.equal(typeof completion.choices[0].text, 'string');
  assert.equal(completion.choices[0].finish_reason, 'length');
  assert.equal(completion.usage.completion_tokens, 5);
});

test('400: a field the server does not support is named', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: withImage('Hi'), n: 2 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'n' && /n = 1/.test(e.message));
});

test('404: an unknown model', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'nope', messages: withImage('Hi') }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
});

test('503: a model that failed to load', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'missing', messages: withImage('Hi') }),
    (e) => e instanceof OpenAI.InternalServerError && e.status === 503 && e.headers.get('retry-after') !== null);
});

test('429 with Retry-After while the model is busy; aborting a stream frees it', async () => {
  const controller = new AbortController();
  const long = await client.chat.completions.create({
    model: MODEL, messages: withImage('Describe it.'), max_tokens: 450, ignore_eos: true, stream: true,
  }, { signal: controller.signal });
  const chunks = long[Symbol.asyncIterator]();
  await chunks.next();

  await assert.rejects(
    client.chat.completions.create({ model: MODEL, messages: withImage('Hi'), max_tokens: 2 }),
    (e) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '1');

  // Aborting closes the connection; the iterator then ends or throws, either is fine here.
  controller.abort();
  await chunks.next().catch(() => {});
  // The disconnect cancels the generation, so the model takes requests again.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const after = await client.chat.completions.create({ model: MODEL, messages: withImage('Hi'), max_tokens: 2 });
      assert.ok(after.usage.completion_tokens > 0);
      break;
    } catch (e) {
      if (!(e instanceof OpenAI.RateLimitError) || Date.now() > deadline) {
        throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

test('401 and 403 from the API keys the gRPC side checks', async () => {
  const wrongKey = new OpenAI({ baseURL: process.env.VLM_AUTH_HTTP_URL, apiKey: 'wrong', maxRetries: 0 });
  const noAccess = new OpenAI({ baseURL: process.env.VLM_AUTH_HTTP_URL, apiKey: 'no-access', maxRetries: 0 });
  await assert.rejects(
    wrongKey.chat.completions.create({ model: MODEL, messages: withImage('Hi') }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(
    noAccess.chat.completions.create({ model: MODEL, messages: withImage('Hi') }),
    (e) => e instanceof OpenAI.PermissionDeniedError && e.status === 403);
});

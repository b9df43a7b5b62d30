/**
 * A pure continuous-batching scheduler for vision-language models, after vLLM v1: data in, data
 * out, never a model call.
 *
 * <h2>Model</h2>
 *
 * A {@link dev.vlm.scheduler.Request} holds the prompt's token ids (image positions hold
 * placeholder ids), its {@link dev.vlm.scheduler.ImageSpan images}, tenant, priority, output
 * limit and deadline. Inside, each request is one sequence: its tokens so far (prompt, then
 * generated), how many of them have KV computed, and a block table from the {@link
 * dev.vlm.scheduler.kv KV block pool}. There is no separate prefill and decode state: a step
 * computes the next positions of a sequence, and if that reaches its last known token, the
 * engine samples the next one. A fresh prompt, a long prompt spread over several steps (chunked
 * prefill) and a preempted sequence being recomputed (prompt plus the tokens it had generated)
 * are all the same thing.
 *
 * <h2>A step</h2>
 *
 * {@link dev.vlm.scheduler.Scheduler#schedule()} returns a {@link
 * dev.vlm.scheduler.SchedulerOutput}: decodes first, then prompt chunks of running sequences,
 * then newly admitted ones, within a token budget and a running-sequence limit; images to encode
 * within a separate encoder-token budget (an image is encoded by the step whose chunk first
 * reaches it; a chunk stops before an image that does not fit); preemptions by recompute when
 * blocks run out; and requests ended by abort or deadline. The engine runs it and reports an
 * {@link dev.vlm.scheduler.EngineResult}; {@link dev.vlm.scheduler.Scheduler#update} turns that
 * into {@link dev.vlm.scheduler.RequestEvent}s, finishing requests on the engine's EOS/STOP
 * signal or on {@code maxNewTokens}.
 *
 * <h2>Order and fairness</h2>
 *
 * Tenants first, priority second. Waiting requests are admitted tenant by tenant: the tenant
 * that has received the fewest scheduled tokens among active tenants goes next, so a tenant that
 * floods the queue only delays others by the requests already running. Priority (higher numbers
 * sooner) orders a tenant's own requests, in admission, in the decode order and as the last of
 * its sequences to be preempted; it never moves a request ahead of another tenant's turn. When
 * blocks run out, the tenant holding the most KV blocks gives one of its sequences back, whatever
 * its priority. A tenant returning from idle starts level with the least-served active tenant
 * (start-time fair queuing), so it neither banks credit nor pays for the past.
 *
 * <h2>Threads</h2>
 *
 * The {@link dev.vlm.scheduler.Scheduler} is single-threaded; {@link
 * dev.vlm.scheduler.loop.EngineLoop} gives it one owner thread and a command queue. Value types
 * (requests, outputs, results, events, stats, config) are immutable and may be shared freely.
 * Time comes from an injected nanosecond clock.
 */
package dev.vlm.scheduler;
